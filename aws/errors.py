"""AWS error shapes, and the one table from Groundwork's domain errors to them.

Over the AWS JSON 1.1 protocol an error is an HTTP status with ``{"__type": ..., "Message": ...}``
(botocore raises it as ``ClientError`` with ``Error.Code`` = ``__type``). Mechanical Turk answers
``RequestError`` (the caller's mistake) or ``ServiceFault`` (ours), both with a ``TurkErrorCode``;
SageMaker answers ``ValidationException``, ``ResourceNotFound``, ``ResourceInUse``,
``ResourceLimitExceeded`` or ``ConflictException``. Authentication and throttling errors are the
same for both services, named as AWS names them.
"""

from __future__ import annotations

from marketplace.errors import DomainError

MTURK = "mturk"
SAGEMAKER = "sagemaker"


class AwsError(Exception):
    """An error answered in the AWS shape: ``{"__type": type_name, "Message": message, **extra}``."""

    type_name: str = "ValidationException"
    status: int = 400

    def __init__(self, message: str, *, type_name: str | None = None, status: int | None = None, **extra) -> None:
        super().__init__(message)
        self.message = message
        if type_name is not None:
            self.type_name = type_name
        if status is not None:
            self.status = status
        self.extra = extra

    def body(self) -> dict:
        return {"__type": self.type_name, "Message": self.message, **self.extra}


# Mechanical Turk -------------------------------------------------------------------------------


class RequestError(AwsError):
    """Mechanical Turk's error for a request it refuses; ``turk_error_code`` says why."""

    type_name = "RequestError"

    def __init__(self, message: str, *, turk_error_code: str = "AWS.MechanicalTurk.InvalidParameterValue") -> None:
        super().__init__(message, TurkErrorCode=turk_error_code)


class ServiceFault(AwsError):
    """Mechanical Turk's error for a failure on the server's side (a 5xx: a bug here)."""

    type_name = "ServiceFault"
    status = 500

    def __init__(self, message: str, *, turk_error_code: str = "AWS.ServiceUnavailable") -> None:
        super().__init__(message, TurkErrorCode=turk_error_code)


# SageMaker -------------------------------------------------------------------------------------


class ValidationException(AwsError):
    type_name = "ValidationException"


class ResourceNotFound(AwsError):
    type_name = "ResourceNotFound"


class ResourceInUse(AwsError):
    type_name = "ResourceInUse"


class ResourceLimitExceeded(AwsError):
    type_name = "ResourceLimitExceeded"


class ConflictException(AwsError):
    type_name = "ConflictException"


# Both services ---------------------------------------------------------------------------------


class UnknownOperation(AwsError):
    """An ``X-Amz-Target`` Groundwork does not offer (AWS's own ``__type`` for it)."""

    type_name = "UnknownOperationException"


class AuthenticationError(AwsError):
    """Signature Version 4 refused: ``type_name`` is the code AWS answers for the same reason
    (``MissingAuthenticationTokenException``, ``IncompleteSignatureException``,
    ``UnrecognizedClientException``, ``InvalidSignatureException``)."""

    status = 403


class Throttling(AwsError):
    """The API key's rate limit (botocore retries these with backoff, as it does against AWS)."""

    type_name = "ThrottlingException"


class InternalFailure(AwsError):
    """SageMaker's shape of a bug on our side."""

    type_name = "InternalFailure"
    status = 500


# Groundwork error code → (SageMaker __type, Mechanical Turk TurkErrorCode). A code not listed
# here falls back on its HTTP status (_BY_STATUS). docs/aws.md shows this table.
ERROR_TABLE: dict[str, tuple[type[AwsError], str]] = {
    "invalid": (ValidationException, "AWS.MechanicalTurk.InvalidParameterValue"),
    "too_large": (ValidationException, "AWS.MechanicalTurk.InvalidParameterValue"),
    "forbidden": (ValidationException, "AWS.MechanicalTurk.PermissionDenied"),
    "not_found": (ResourceNotFound, "AWS.MechanicalTurk.ResourceNotFound"),
    "insufficient_balance": (ResourceLimitExceeded, "AWS.MechanicalTurk.InsufficientFunds"),
    "too_many_live_assignments": (ResourceLimitExceeded, "AWS.MechanicalTurk.ResourceLimitExceeded"),
    "storage_not_allowed": (ValidationException, "AWS.MechanicalTurk.PermissionDenied"),
    "storage_unavailable": (ValidationException, "AWS.MechanicalTurk.InvalidParameterValue"),
    "idempotency_key_reused": (ConflictException, "AWS.MechanicalTurk.DuplicateRequest"),
    "name_taken": (ResourceInUse, "AWS.MechanicalTurk.DuplicateRequest"),
    "workteam_in_use": (ResourceInUse, "AWS.MechanicalTurk.InvalidState"),
    "rate_limited": (Throttling, "AWS.MechanicalTurk.Throttled"),
}
_BY_STATUS: dict[int, tuple[type[AwsError], str]] = {
    400: (ValidationException, "AWS.MechanicalTurk.InvalidParameterValue"),
    402: (ResourceLimitExceeded, "AWS.MechanicalTurk.InsufficientFunds"),
    403: (ValidationException, "AWS.MechanicalTurk.PermissionDenied"),
    404: (ResourceNotFound, "AWS.MechanicalTurk.ResourceNotFound"),
    409: (ConflictException, "AWS.MechanicalTurk.InvalidState"),
    422: (ConflictException, "AWS.MechanicalTurk.DuplicateRequest"),
    429: (Throttling, "AWS.MechanicalTurk.Throttled"),
}


def aws_error_for(error: DomainError, *, service: str) -> AwsError:
    """The AWS error a Groundwork domain error is answered with. Mechanical Turk has one error
    type for every refusal (``RequestError``); the Groundwork ``code`` rides in its
    ``TurkErrorCode`` only when the table has no MTurk code for it."""
    sagemaker_class, turk_code = ERROR_TABLE.get(error.code) or _BY_STATUS.get(
        error.status, (ValidationException, "AWS.MechanicalTurk.InvalidParameterValue")
    )
    if service == MTURK:
        if sagemaker_class is Throttling:
            return Throttling(error.message)
        return RequestError(error.message, turk_error_code=turk_code)
    return sagemaker_class(error.message)


def invalid_parameter(message: str, *, service: str) -> AwsError:
    """The error for a request the operation cannot take: MTurk's ``RequestError`` or
    SageMaker's ``ValidationException``."""
    if service == MTURK:
        return RequestError(message)
    return ValidationException(message)


def not_found(message: str, *, service: str) -> AwsError:
    if service == MTURK:
        return RequestError(message, turk_error_code="AWS.MechanicalTurk.ResourceNotFound")
    return ResourceNotFound(message)


def server_fault(*, service: str, request_id: str) -> AwsError:
    message = f"an unexpected error on our side (a bug, please report request {request_id})"
    if service == MTURK:
        return ServiceFault(message)
    return InternalFailure(message)
