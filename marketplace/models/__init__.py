from .idempotency import IdempotencyRecord
from .organizations import ApiKey, Membership, Organization
from .tasks import Assignment, Batch, RequesterDispatchState, Task
from .workers import Worker
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
    "Worker",
    "Workteam",
    "WorkteamMembership",
]
