"""Workers' console accounts: a password beside the token, a session of its own, resets.

A worker session is not a Django auth session: workers are not ``auth.User`` rows, and the
worker's id sits under its own session key (``WORKER_SESSION_KEY``) with a hash of its password
hash (``WORKER_SESSION_HASH_KEY``), so a password change or reset signs out every other session,
as Django does for users. Portal pages read only ``request.user``, the console only these keys:
a worker session never opens a portal page and a portal session never opens the console.

A worker may use the console while it is active and its token is not revoked (a vendor that
revoked a worker's token cut its access; the console is no way around that).
"""

from __future__ import annotations

from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.crypto import constant_time_compare, salted_hmac

from ..errors import InvalidInput
from ..models import Worker

WORKER_SESSION_KEY = "_console_worker_id"
WORKER_SESSION_HASH_KEY = "_console_worker_hash"


def _console_workers() -> QuerySet[Worker]:
    return Worker.objects.filter(is_active=True, token_revoked_at__isnull=True)


def worker_password_set(*, worker: Worker, password: str) -> None:
    """Set the console password (Django's hashers and password validators). ``InvalidInput``
    naming ``new_password1`` when a validator refuses it; nothing changes then."""
    try:
        validate_password(password)
    except ValidationError as error:
        raise InvalidInput.for_field("new_password1", " ".join(error.messages)) from None
    worker.password = make_password(password)
    Worker.objects.filter(pk=worker.pk).update(password=worker.password)


def worker_authenticate(*, login: str, password: str) -> Worker | None:
    """The console worker whose username (or email, case-insensitive) and password these are.

    A worker without a password (not yet activated) never matches. An unknown login still runs
    the hasher once, so the answer's timing does not tell which usernames exist."""
    login = (login or "").strip()
    worker = None
    if login:
        worker = _console_workers().filter(username=login).first()
        if worker is None and "@" in login:
            worker = _console_workers().filter(email__iexact=login).first()
    if worker is None or not worker.password:
        make_password(password)
        return None
    return worker if check_password(password, worker.password) else None


def _session_hash(worker: Worker) -> str:
    return salted_hmac("groundwork.console.session", worker.password, algorithm="sha256").hexdigest()


def worker_session_login(*, session: SessionBase, worker: Worker) -> None:
    """Sign ``worker`` in on this session: a new session key (no fixation), the worker's id
    and the hash that ties the session to its current password."""
    session.cycle_key()
    session[WORKER_SESSION_KEY] = worker.pk
    session[WORKER_SESSION_HASH_KEY] = _session_hash(worker)


def worker_session_logout(*, session: SessionBase) -> None:
    session.pop(WORKER_SESSION_KEY, None)
    session.pop(WORKER_SESSION_HASH_KEY, None)
    session.cycle_key()


def worker_from_session(session: SessionBase) -> Worker | None:
    """The worker signed in on this session, or ``None`` (none, deactivated, revoked, or its
    password changed since)."""
    worker_id = session.get(WORKER_SESSION_KEY)
    if not isinstance(worker_id, int):
        return None
    worker = _console_workers().filter(pk=worker_id).first()
    if worker is None or not worker.password:
        return None
    if not constant_time_compare(session.get(WORKER_SESSION_HASH_KEY, ""), _session_hash(worker)):
        return None
    return worker


class WorkerPasswordResetTokens(PasswordResetTokenGenerator):
    """Django's reset tokens over a worker: valid for ``PASSWORD_RESET_TIMEOUT``, spent when the
    password changes (its hash is in the token's hash), never valid for a portal user."""

    key_salt = "groundwork.console.WorkerPasswordResetTokens"

    # Django's generator reads its user only through this method, so a Worker serves; the stubs
    # type that user as auth's User.
    def _make_hash_value(self, worker: Worker, timestamp: int) -> str:  # type: ignore[override]
        return f"{worker.pk}{worker.password}{timestamp}{worker.email}"


worker_reset_tokens = WorkerPasswordResetTokens()


def worker_for_reset(email: str) -> Worker | None:
    """The console worker a reset email may go to: active, not revoked, with this address
    (one who never activated may set a first password this way too)."""
    email = (email or "").strip()
    if not email:
        return None
    return _console_workers().filter(email__iexact=email).first()


def worker_for_reset_by_id(worker_id: int) -> Worker | None:
    """The console worker a reset link names (one that may still use the console)."""
    return _console_workers().filter(pk=worker_id).exclude(email="").first()
