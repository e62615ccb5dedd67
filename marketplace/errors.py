"""Domain errors: plain Python with a stable ``code`` and HTTP ``status``.

Services raise these; the API maps them to ``{"error": {"code", "message", "fields"}}`` in one
exception handler (``marketplace.api.errors``), and the websocket consumer to ``error`` messages.
"""

from __future__ import annotations

from typing import Self


class DomainError(Exception):
    status: int = 400
    code: str = "invalid"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        fields: dict[str, list[str]] | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.fields = fields or {}


class InvalidInput(DomainError):
    status = 400
    code = "invalid"

    @classmethod
    def for_field(cls, field: str, message: str) -> Self:
        return cls(f"{field}: {message}", fields={field: [message]})


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    """A state conflict (409); ``code`` says which (``deadline_passed``, ``not_live``, ...)."""

    status = 409
    code = "conflict"


# Every error code the API can answer with, documented in docs/api.md. Apps that add codes
# (labeling) add them here when they load.
ERROR_CODES = {
    "invalid": "The request body, a query parameter or a header is not valid; `fields` says where.",
    "unauthenticated": "Missing, malformed, revoked or unknown credentials (401).",
    "forbidden": "The caller is of the wrong kind for this endpoint, or lacks the permission (403).",
    "not_found": "No such resource, or it is not yours (404); also unknown URLs.",
    "method_not_allowed": "The path exists but not with this HTTP method (405).",
    "unsupported_media_type": "The body is not `application/json` (415).",
    "not_acceptable": "The Accept header asks for a format other than JSON (406).",
    "deadline_passed": "The assignment's deadline has passed; nothing was changed (409).",
    "already_submitted": "The assignment was already submitted with a different answer (409).",
    "not_live": "The assignment is no longer live (returned, expired or settled) (409).",
    "not_submitted": "Only a submitted assignment can be approved or rejected (409).",
    "already_settled": "The assignment was settled the other way (approved vs rejected) (409).",
    "rejection_override_expired": "The assignment was rejected more than 30 days ago; its rejection can no longer be "
    "overridden (409).",
    "not_rejected": "Only a rejected assignment can be appealed (409).",
    "already_appealed": "The assignment's rejection was already appealed: a rejection is appealed once (409).",
    "appeal_window_closed": "The assignment was rejected more than 14 days ago; it can no longer be appealed (409).",
    "appeal_already_decided": "The appeal was already accepted or declined: an appeal is decided once (409).",
    "task_not_reviewable": "The task still takes work or has assignments in progress, so it cannot be marked under "
    "review (409).",
    "task_not_disposable": "The task has assignments in progress or waiting for approval, so it cannot be disposed "
    "of (409).",
    "task_closed": "The task no longer takes this action (complete, expired or stopped) (409).",
    "too_many_live_assignments": "The worker already holds the maximum number of live assignments (409).",
    "workteam_in_use": "The workteam has tasks open; stop its work before deleting the team (409).",
    "already_member": "The worker is already a member of the workteam (409).",
    "invitation_not_pending": "The invitation was already accepted or revoked (409).",
    "qualification_not_grantable": "The qualification type is granted automatically from reputation; it cannot be "
    "granted or revoked by hand (409).",
    "qualification_type_inactive": "The qualification type is deactivated and can no longer be granted (409).",
    "qualification_already_held": "You already hold this qualification; its test cannot be taken again (409).",
    "qualification_retry_too_soon": "The qualification test's retry delay since your last attempt has not passed; "
    "the message says when you may retry (409).",
    "offering_withdrawn": "The vendor offering has been withdrawn: it takes no new subscriptions (409).",
    "subscription_not_pending": "The vendor subscription was already decided or cancelled otherwise (409).",
    "webhook_endpoint_disabled": 'The webhook endpoint is disabled: enable it (`PATCH` with `"is_active": true`) '
    "before redelivering to it (409).",
    "webhook_endpoint_limit": "The organization already has the most webhook endpoints allowed (20) (409).",
    "idempotency_key_reused": "The Idempotency-Key was used before with a different body (422).",
    "rate_limited": "Too many requests; retry after `Retry-After` seconds (429).",
    "too_large": "The request body is larger than the limit (413).",
    "insufficient_balance": "The paying account cannot cover the amount: the requester's available balance for a "
    "reserve or a bonus, the earnings for a payout (402).",
    "payout_not_pending": "The payout was already paid or cancelled, or is not at the step this action needs (409).",
    "storage_not_allowed": "The S3 bucket or prefix is not registered for the organization (403).",
    "storage_unavailable": "The storage could not serve a read or write (missing bucket, object or file, "
    "access denied by the storage, endpoint unreachable); the message names the URI (400).",
    "server_error": "An unexpected error on our side (500); it is a bug, please report it.",
}
