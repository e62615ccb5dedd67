"""The base API view: principal checks, rate limits and ``Idempotency-Key`` (DESIGN.md rule 5)."""

from __future__ import annotations

import hashlib
from typing import cast

from django.db import IntegrityError, transaction
from rest_framework.response import Response
from rest_framework.views import APIView

from ..errors import DomainError, InvalidInput
from ..models import IdempotencyRecord, Organization, Worker
from ..principals import RequesterPrincipal, WorkerPrincipal
from .authentication import BearerTokenAuthentication, IsRequester, IsWorker
from .ratelimit import AnonymousThrottle, ApiKeyWriteThrottle, WorkerActionThrottle

MAX_IDEMPOTENCY_KEY_LENGTH = 255


class _NotStored(Exception):
    """Carries a response that must not be remembered (5xx, 429) out of the transaction."""

    def __init__(self, response: Response) -> None:
        self.response = response


def _is_storable(response: Response) -> bool:
    return response.status_code < 500 and response.status_code != 429


class GroundworkAPIView(APIView):
    """Every API view derives from this. POSTs with an ``Idempotency-Key`` run inside one
    transaction together with the record of their response, so a retry either replays the
    stored response or, while the first is still running, waits for it (PostgreSQL blocks the
    second insert of the same scope until the first commits)."""

    # Response fields holding a secret shown once (a key, a token): never stored for replays.
    secret_response_fields: tuple[str, ...] = ()

    def dispatch(self, request, *args, **kwargs):
        # DRF's own dispatch, with the handler call routed through _call_idempotently.
        self.args, self.kwargs = args, kwargs
        request = self.initialize_request(request, *args, **kwargs)
        self.request = request
        self.headers = self.default_response_headers
        try:
            self.initial(request, *args, **kwargs)
            method = request.method.lower()
            handler = getattr(self, method, None) if method in self.http_method_names else None
            handler = handler or self.http_method_not_allowed
            key = request.headers.get("Idempotency-Key")
            if request.method == "POST" and key is not None:
                response = self._call_idempotently(handler, key, request, *args, **kwargs)
            else:
                response = handler(request, *args, **kwargs)
        except Exception as exc:
            response = self.handle_exception(exc)
        self.response = self.finalize_response(request, response, *args, **kwargs)
        return self.response

    def _idempotency_scope(self, request, key: str) -> str:
        user = request.user
        caller = user.scope_id if user is not None else f"anonymous:{request.META.get('REMOTE_ADDR', '')}"
        return hashlib.sha256(f"{caller}\n{request.method}\n{request.path}\n{key}".encode()).hexdigest()

    def _call_idempotently(self, handler, key: str, request, *args, **kwargs) -> Response:
        if not key or len(key) > MAX_IDEMPOTENCY_KEY_LENGTH or not key.isprintable():
            raise InvalidInput.for_field(
                "Idempotency-Key", f"must be 1 to {MAX_IDEMPOTENCY_KEY_LENGTH} printable characters"
            )
        scope = self._idempotency_scope(request, key)
        body_hash = hashlib.sha256(request._request.body).hexdigest()
        try:
            with transaction.atomic():
                try:
                    with transaction.atomic():
                        record = IdempotencyRecord.objects.create(scope=scope, body_hash=body_hash, status_code=0)
                except IntegrityError:
                    return self._replay(IdempotencyRecord.objects.get(scope=scope), body_hash)
                try:
                    with transaction.atomic():
                        response = handler(request, *args, **kwargs)
                        if not _is_storable(response):
                            raise _NotStored(response)
                except _NotStored:
                    raise
                except Exception as exc:
                    response = self.handle_exception(exc)
                    if not _is_storable(response):
                        raise _NotStored(response) from None
                record.status_code = response.status_code
                record.response_body = self._without_secrets(response.data)
                record.save(update_fields=["status_code", "response_body"])
                return response
        except _NotStored as not_stored:
            return not_stored.response

    def _without_secrets(self, data: object) -> object:
        # A secret is shown once: a replay answers with the same status and body, but with
        # the secret nulled, so it never sits in the idempotency table (for 8 days) in clear.
        if isinstance(data, dict) and self.secret_response_fields:
            return {key: (None if key in self.secret_response_fields else value) for key, value in data.items()}
        return data

    @staticmethod
    def _replay(record: IdempotencyRecord, body_hash: str) -> Response:
        if record.body_hash != body_hash:
            raise DomainError(
                "this Idempotency-Key was used with a different body", code="idempotency_key_reused", status=422
            )
        return Response(record.response_body, status=record.status_code, headers={"Idempotent-Replayed": "true"})


class RequesterAPIView(GroundworkAPIView):
    # API keys only: the worker console's session is a worker credential (docs/api.md).
    authentication_classes = [BearerTokenAuthentication]
    permission_classes = [IsRequester]
    throttle_classes = [ApiKeyWriteThrottle]

    @property
    def requester(self) -> Organization:
        # IsRequester let only a RequesterPrincipal in
        return cast(RequesterPrincipal, self.request.user).organization


class WorkerAPIView(GroundworkAPIView):
    permission_classes = [IsWorker]
    throttle_classes: list = []

    @property
    def worker(self) -> Worker:
        # IsWorker let only a WorkerPrincipal in
        return cast(WorkerPrincipal, self.request.user).worker


class WorkerActionAPIView(WorkerAPIView):
    """Claims, submissions and returns: rate-limited per worker."""

    throttle_classes = [WorkerActionThrottle]


class AnonymousAPIView(GroundworkAPIView):
    authentication_classes: list = []
    permission_classes: list = []
    throttle_classes = [AnonymousThrottle]
