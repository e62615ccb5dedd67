"""Worker accounts and their tokens."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from ..credentials import WORKER_TOKEN_PREFIX, WS_TICKET_PREFIX, display_prefix, hash_secret, new_secret
from ..errors import InvalidInput
from ..locales import parse_locale
from ..models import Organization, WebsocketTicket, Worker, Workteam
from ..selectors.credentials import forget_worker_credentials
from .workteams import public_workforce, workteam_add_member

USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9_.@+-]{3,150}$")


def worker_create(
    *,
    username: str,
    join_public: bool = True,
    workteams: Iterable[Workteam] = (),
    locale: object = None,
    vendor: Organization | None = None,
) -> tuple[Worker, str]:
    """Create a worker and return it with its token (shown once).

    ``join_public`` puts it in the public workforce; ``workteams`` adds it to others directly
    (the operator path; requesters invite instead). ``locale`` is an optional ISO 3166-1
    alpha-2 country code (any case; stored upper-case), the system ``locale`` qualification.
    ``vendor`` makes it a worker that vendor manages (``vendor_worker_create``).
    """
    if not isinstance(username, str) or not USERNAME_PATTERN.match(username):
        raise InvalidInput.for_field("username", "must be 3 to 150 characters: letters, digits and _ . @ + -")
    code = "" if locale is None else parse_locale(locale)
    if code is None:
        raise InvalidInput.for_field("locale", 'must be an ISO 3166-1 alpha-2 country code, such as "US"')
    token = new_secret(WORKER_TOKEN_PREFIX)
    try:
        with transaction.atomic():
            worker = Worker.objects.create(
                username=username,
                token_hash=hash_secret(token),
                token_prefix=display_prefix(token),
                locale=code,
                vendor=vendor,
            )
            targets = ([public_workforce()] if join_public else []) + list(workteams)
            for workteam in targets:
                workteam_add_member(workteam=workteam, worker=worker)
    except IntegrityError:
        raise InvalidInput.for_field("username", "is already taken") from None
    return worker, token


def vendor_worker_create(
    *, vendor: Organization, username: str, workteam: Workteam | None = None
) -> tuple[Worker, str]:
    """A worker managed by ``vendor`` (not in the public workforce), in one of its workteams
    when given; returns it with its token (shown once). Vendors create their workers rather than
    adding existing ones by username: the vendor may then revoke and issue the worker's token,
    which it must never be able to do to someone else's account."""
    if workteam is not None and workteam.owner_id != vendor.pk:
        raise InvalidInput.for_field("workteam", "is not one of your workteams")
    return worker_create(username=username, join_public=False, workteams=[workteam] if workteam else [], vendor=vendor)


def worker_token_rotate(*, worker: Worker) -> str:
    """Replace the worker's token; the old one stops working at once (a revoked worker gets a
    working token again), and unspent websocket tickets, issued to whoever held the old token,
    are spent, as a revocation spends them. Returns the new token."""
    token = new_secret(WORKER_TOKEN_PREFIX)
    now = timezone.now()
    with transaction.atomic():
        Worker.objects.filter(pk=worker.pk).update(
            token_hash=hash_secret(token),
            token_prefix=display_prefix(token),
            token_rotated_at=now,
            token_revoked_at=None,
        )
        _tickets_spend(worker, now)
    return token


def worker_token_revoke(*, worker: Worker) -> None:
    """Stop the worker's token working, until a new one is issued (``worker_token_rotate``).

    The stored hash becomes that of a fresh secret nobody is given (the column stays unique and
    nothing can match it), and unspent websocket tickets are spent, so neither REST nor a new
    socket authenticates. Its live assignments stay live (they expire at their deadlines)."""
    now = timezone.now()
    with transaction.atomic():
        Worker.objects.filter(pk=worker.pk).update(
            token_hash=hash_secret(new_secret(WORKER_TOKEN_PREFIX)),
            token_prefix="",
            token_revoked_at=now,
        )
        _tickets_spend(worker, now)


def _tickets_spend(worker: Worker, now: datetime) -> None:
    # This process forgets the old token at once, and again once the change is committed (a
    # request between the two may have trusted it again); others within
    # WORKER_CREDENTIAL_CACHE_SECONDS.
    forget_worker_credentials()
    transaction.on_commit(forget_worker_credentials)
    WebsocketTicket.objects.filter(worker=worker, used_at__isnull=True).update(used_at=now)


WEBSOCKET_TICKET_SECONDS = 60


def websocket_ticket_create(*, worker: Worker) -> tuple[str, int]:
    """A single-use ticket for the worker websocket; returns it and its lifetime in seconds."""
    ticket = new_secret(WS_TICKET_PREFIX)
    WebsocketTicket.objects.create(
        worker=worker,
        ticket_hash=hash_secret(ticket),
        expires_at=timezone.now() + timedelta(seconds=WEBSOCKET_TICKET_SECONDS),
    )
    return ticket, WEBSOCKET_TICKET_SECONDS


def websocket_ticket_redeem(*, ticket: str) -> Worker | None:
    """The worker a ticket stands for, spending it (compare-and-set: a second use gets None)."""
    digest = hash_secret(ticket)
    spent = WebsocketTicket.objects.filter(
        ticket_hash=digest, used_at__isnull=True, expires_at__gt=timezone.now()
    ).update(used_at=timezone.now())
    if not spent:
        return None
    return Worker.objects.filter(websocket_tickets__ticket_hash=digest, is_active=True).first()
