from .idempotency import IdempotencyRecord
from .organizations import ApiKey, Membership, Organization
from .qualifications import QualificationGrant, QualificationTestAttempt, QualificationType, WorkerBlock
from .reputation import WorkerBatchEstimate
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
    "QualificationGrant",
    "QualificationTestAttempt",
    "QualificationType",
    "RequesterDispatchState",
    "Task",
    "WebsocketTicket",
    "Worker",
    "Workteam",
    "WorkerBatchEstimate",
    "WorkerBlock",
    "WorkteamMembership",
]
