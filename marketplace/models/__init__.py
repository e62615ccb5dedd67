from .appeals import Appeal
from .events import Delivery, DeliveryAttempt, Event, WebhookEndpoint, WebhookSenderLease
from .idempotency import IdempotencyRecord
from .ledger import LedgerAccount, LedgerEntry, LedgerTransaction, Payout
from .messages import WorkerMessage
from .organizations import ApiKey, Membership, Organization
from .qualifications import QualificationGrant, QualificationTestAttempt, QualificationType, WorkerBlock
from .reputation import WorkerBatchEstimate, WorkerBatchQuality, WorkerReputation
from .signin import SignInThrottle
from .tasks import Assignment, Batch, RequesterDispatchState, Task, TaskWorkerExclusion
from .vendors import VendorOffering, VendorSubscription
from .workers import WebsocketTicket, Worker
from .workteams import EmailInvitation, Invitation, Workteam, WorkteamMembership

__all__ = [
    "ApiKey",
    "Appeal",
    "Assignment",
    "Batch",
    "Delivery",
    "DeliveryAttempt",
    "EmailInvitation",
    "Event",
    "IdempotencyRecord",
    "Invitation",
    "LedgerAccount",
    "LedgerEntry",
    "LedgerTransaction",
    "Membership",
    "Organization",
    "Payout",
    "QualificationGrant",
    "QualificationTestAttempt",
    "QualificationType",
    "RequesterDispatchState",
    "SignInThrottle",
    "Task",
    "TaskWorkerExclusion",
    "VendorOffering",
    "VendorSubscription",
    "WebhookEndpoint",
    "WebhookSenderLease",
    "WebsocketTicket",
    "Worker",
    "Workteam",
    "WorkerBatchEstimate",
    "WorkerBatchQuality",
    "WorkerReputation",
    "WorkerBlock",
    "WorkerMessage",
    "WorkteamMembership",
]
