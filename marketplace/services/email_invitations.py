"""Invitations to a private workteam sent by email (docs/portal.md).

A requester admin invites an address; the address receives a link ``…/portal/join/<token>``.
Opening it, the invitee either creates a worker account (the address is stored on it) or links
the worker account it already has by pasting that account's current token; either way the
worker joins the team.

What makes a link safe to email:

- **signed**: the token is ``django.core.signing.dumps({"i": id, "e": email, "n": nonce})`` with
  ``EMAIL_INVITATION_SALT``; a changed id or address breaks the signature;
- **single-use**: only the token's SHA-256 is stored, and accepting moves the row from
  ``pending`` to ``accepted`` by compare-and-set on (id, status, hash, expiry), so of two
  concurrent accepts exactly one wins and the other changes nothing;
- **expiring**: ``expires_at`` (``INVITATION_LIFETIME_SECONDS`` after sending) is the truth;
- **revocable**: a revoked row refuses its link;
- **bound to the address**: the link stands for that one address. A new account gets it as its
  ``email``; an existing account may accept only if it has no address yet (it then gets this
  one) or has this one. One worker per address: if another account already holds it, the
  invitee must link that account. Re-inviting an address revokes its pending link (the old
  token cannot be re-sent, only its hash is kept) and sends a fresh one.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from ..credentials import hash_secret
from ..errors import Conflict, DomainError, InvalidInput
from ..models import EmailInvitation, Worker, Workteam, WorkteamMembership
from .workers import worker_create
from .workteams import invitation_revoke, workteam_add_member

# Withdrawing a pending emailed link is the same compare-and-set as for an invitation by id.
email_invitation_revoke = invitation_revoke

EMAIL_INVITATION_SALT = "groundwork.marketplace.email-invitation"


class InvitationLinkError(DomainError):
    """The link cannot be used; ``code`` says why: ``invitation_invalid`` (bad signature or no
    such invitation, 404), ``invitation_expired``, ``invitation_used``, ``invitation_revoked``
    (409). The message is fit to show the invitee."""

    status = 409

    MESSAGES = {
        "invitation_invalid": "This invitation link is not valid. Check that you copied all of it.",
        "invitation_expired": "This invitation has expired. Ask the team's administrator for a new one.",
        "invitation_used": "This invitation has already been accepted.",
        "invitation_revoked": "This invitation was withdrawn. Ask the team's administrator for a new one.",
    }

    def __init__(self, code: str) -> None:
        super().__init__(self.MESSAGES[code], code=code, status=404 if code == "invitation_invalid" else 409)


class InvitationNotSent(DomainError):
    """The email could not be sent; the invitation was revoked so no half-sent link lingers."""

    status = 502
    code = "invitation_not_sent"


def normalize_email(email: object) -> str:
    """The address stripped and lower-cased, or ``InvalidInput`` on ``email``."""
    address = email.strip().lower() if isinstance(email, str) else ""
    try:
        if len(address) > 254:  # RFC 5321's limit, and the column's
            raise ValidationError("too long")
        validate_email(address)
    except ValidationError:
        raise InvalidInput.for_field("email", "must be a valid email address") from None
    return address


def _sign(invitation_id: int, email: str) -> str:
    # The nonce makes two invitations of the same address (after a revoke) carry different tokens.
    payload = {"i": invitation_id, "e": email, "n": secrets.token_urlsafe(16)}
    return signing.dumps(payload, salt=EMAIL_INVITATION_SALT, compress=False)


def email_invitation_create(
    *, workteam: Workteam, email: str, accept_url: Callable[[str], str], created_by: User | None = None
) -> EmailInvitation:
    """Invite ``email`` to the private ``workteam`` and email it the link ``accept_url(token)``.

    A pending invitation of the same address to the same team is revoked first (its token is
    unknown to us, so it cannot be re-sent). An address that belongs to a member already is a
    ``Conflict`` (``already_member``). The row is committed before the email is sent (call this
    outside a transaction); if sending fails, the invitation is revoked and ``InvitationNotSent``
    raised. Raises ``InvalidInput`` for a bad address or a non-private team.
    """
    if workteam.kind != Workteam.Kind.PRIVATE or not workteam.is_active:
        raise InvalidInput.for_field("workteam_id", "only active private workteams take invitations")
    address = normalize_email(email)
    if WorkteamMembership.objects.filter(workteam=workteam, worker__email=address).exists():
        raise Conflict(f"{address} is already a member of this team", code="already_member")
    now = timezone.now()
    try:
        with transaction.atomic():
            EmailInvitation.objects.filter(
                workteam=workteam, email=address, status=EmailInvitation.Status.PENDING
            ).update(status=EmailInvitation.Status.REVOKED, revoked_at=now)
            invitation = EmailInvitation.objects.create(
                workteam=workteam,
                email=address,
                created_by=created_by,
                # A placeholder until the token (which embeds the id) exists, in this transaction.
                token_hash=hash_secret(secrets.token_urlsafe(32)),
                expires_at=now + timedelta(seconds=settings.INVITATION_LIFETIME_SECONDS),
            )
            token = _sign(invitation.pk, address)
            invitation.token_hash = hash_secret(token)
            invitation.save(update_fields=["token_hash"])
    except IntegrityError:  # another admin invited the same address at the same moment
        raise Conflict(f"{address} was invited by someone else just now", code="invitation_not_pending") from None
    requester_name = workteam.owner.name if workteam.owner is not None else ""
    # A header cannot hold a line break (Django refuses it): fold the name's whitespace.
    subject_name = " ".join(workteam.name.split())
    try:
        send_mail(
            subject=f"You are invited to join {subject_name} on Groundwork",
            message=(
                f'{requester_name} invites you to label data in its team "{workteam.name}".\n\n'
                f"Open this link to create your worker account, or to add the team to the one you have:\n\n"
                f"{accept_url(token)}\n\n"
                f"The link works once, for {address}, until {invitation.expires_at:%Y-%m-%d %H:%M} UTC.\n"
                "If you did not expect it, ignore this email.\n"
            ),
            from_email=None,
            recipient_list=[address],
        )
    except Exception as error:  # any transport failure (SMTP refused, DNS, timeout)
        email_invitation_revoke(invitation=invitation)
        raise InvitationNotSent(f"the email to {address} could not be sent; try again later") from error
    return invitation


def email_invitation_for_token(token: object) -> EmailInvitation:
    """The pending, unexpired invitation this token stands for (with its workteam and owner),
    or ``InvitationLinkError``: ``invitation_invalid`` for a bad signature, an unknown id, or a
    token that is not the one stored (a replaced link); then ``invitation_used``,
    ``invitation_revoked``, ``invitation_expired``. A pending row found expired is marked so."""
    if not isinstance(token, str) or len(token) > 1000:
        raise InvitationLinkError("invitation_invalid")
    try:
        payload = signing.loads(token, salt=EMAIL_INVITATION_SALT)
        invitation_id, email = int(payload["i"]), str(payload["e"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise InvitationLinkError("invitation_invalid") from None
    invitation = EmailInvitation.objects.select_related("workteam", "workteam__owner").filter(pk=invitation_id).first()
    if (
        invitation is None
        or invitation.email != email
        or not hmac.compare_digest(invitation.token_hash, hash_secret(token))
    ):
        raise InvitationLinkError("invitation_invalid")
    if invitation.status == EmailInvitation.Status.ACCEPTED:
        raise InvitationLinkError("invitation_used")
    if invitation.status == EmailInvitation.Status.REVOKED or not invitation.workteam.is_active:
        raise InvitationLinkError("invitation_revoked")
    if invitation.is_expired:
        EmailInvitation.objects.filter(
            pk=invitation.pk, status=EmailInvitation.Status.PENDING, expires_at__lte=timezone.now()
        ).update(status=EmailInvitation.Status.EXPIRED)
        raise InvitationLinkError("invitation_expired")
    return invitation


def _worker_by_token(worker_token: object) -> Worker:
    worker = None
    if isinstance(worker_token, str) and worker_token.strip():
        worker = Worker.objects.filter(token_hash=hash_secret(worker_token.strip()), is_active=True).first()
    if worker is None:
        raise InvalidInput.for_field("worker_token", "is not the current token of an active worker account")
    return worker


def _bind_address(worker: Worker, address: str) -> None:
    """Give ``worker`` the invitation's address, or refuse when it has another one or another
    account holds this one."""
    if worker.email and worker.email != address:
        raise InvalidInput.for_field(
            "worker_token", f"this account belongs to another address; the invitation was sent to {address}"
        )
    if worker.email:
        return
    if Worker.objects.filter(email=address).exclude(pk=worker.pk).exists():
        raise InvalidInput.for_field("username", f"{address} already has a worker account: link that one")
    try:
        with transaction.atomic():
            Worker.objects.filter(pk=worker.pk, email="").update(email=address)
    except IntegrityError:  # the address was bound to another account at the same moment
        raise InvalidInput.for_field("username", f"{address} already has a worker account: link that one") from None
    worker.email = address


def email_invitation_accept(
    *, token: str, username: str | None = None, worker_token: str | None = None
) -> tuple[Worker, str | None]:
    """Accept the invitation ``token`` stands for, with a new worker account named ``username``
    (not in the public workforce: the requester invited it to its own team) or with the existing
    account whose current token is ``worker_token`` (exactly one of the two). The worker gets the
    invitation's address and joins the team. Returns the worker and, for a new account, its
    token (to show once), else ``None``.

    One transaction, opened by the compare-and-set ``pending`` → ``accepted``: of two
    concurrent accepts one wins and the other raises ``InvitationLinkError``
    (``invitation_used``) having created nothing; any later error rolls the acceptance back.
    Raises ``InvitationLinkError`` for an unusable link and ``InvalidInput`` for a bad username
    or token or an address conflict.
    """
    if (username is None) == (worker_token is None):
        raise InvalidInput("give either a username for a new account or the token of an existing one")
    with transaction.atomic():
        invitation = email_invitation_for_token(token)
        # The compare-and-set comes first: it holds the invitation's row lock to the end, so a
        # concurrent accept waits here and then finds it accepted (``invitation_used``) before
        # it can collide on anything else; if this one fails later, everything rolls back and
        # the waiting one may proceed.
        won = EmailInvitation.objects.filter(
            pk=invitation.pk,
            status=EmailInvitation.Status.PENDING,
            token_hash=invitation.token_hash,
            expires_at__gt=timezone.now(),
        ).update(status=EmailInvitation.Status.ACCEPTED, accepted_at=timezone.now())
        if not won:  # accepted, revoked or expired since it was read
            status = EmailInvitation.objects.filter(pk=invitation.pk).values_list("status", flat=True).first()
            raise InvitationLinkError(
                "invitation_used"
                if status == EmailInvitation.Status.ACCEPTED
                else "invitation_revoked"
                if status == EmailInvitation.Status.REVOKED
                else "invitation_expired"
            )
        new_token = None
        if worker_token is not None:
            worker = _worker_by_token(worker_token)
        else:
            if Worker.objects.filter(email=invitation.email).exists():
                raise InvalidInput.for_field(
                    "username", f"{invitation.email} already has a worker account: link that one with its token"
                )
            worker, new_token = worker_create(username=(username or "").strip(), join_public=False)
        _bind_address(worker, invitation.email)
        EmailInvitation.objects.filter(pk=invitation.pk).update(accepted_worker=worker)
        workteam_add_member(workteam=invitation.workteam, worker=worker)
    return worker, new_token
