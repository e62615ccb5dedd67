from .idempotency import IdempotencyRecord
from .organizations import ApiKey, Membership, Organization
from .reputation import WorkerBatchEstimate, WorkerBatchQuality, WorkerReputation
from .tasks import Assignment, Batch, RequesterDispatchState, Task
from .workers import WebsocketTicket, Worker
from .workteams import Invitation, Workteam, WorkteamMembership

__all__ = [
    "ApiKey",
    "Assignment",
    "Batch",
    "IdempotencyRecord",
    "Invitation",
    "Membership",
    "Organization",
    "RequesterDispatchState",
    "Task",
    "WebsocketTicket",
    "Worker",
    "Workteam",
    "WorkerBatchEstimate",
    "WorkerBatchQuality",
    "WorkerReputation",
    "WorkteamMembership",
]
