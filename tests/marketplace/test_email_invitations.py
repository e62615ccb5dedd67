"""Private-team invitations by email: signed, single-use, expiring, revocable links bound to
one address (marketplace.services.email_invitations).

Emails land in ``django.core.mail.outbox`` (pytest-django's locmem backend): the one fake in
these tests, at the email boundary.
"""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from django.core import mail, signing
from django.db import connection
from django.utils import timezone

from marketplace.credentials import hash_secret
from marketplace.errors import Conflict, InvalidInput
from marketplace.models import EmailInvitation, Worker, WorkteamMembership
from marketplace.services.email_invitations import (
    EMAIL_INVITATION_SALT,
    InvitationLinkError,
    InvitationNotSent,
    email_invitation_accept,
    email_invitation_create,
    email_invitation_for_token,
    email_invitation_revoke,
)
from marketplace.services.workteams import public_workforce, workteam_create

from ..conftest import needs_postgres

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https://portal\.example/join/(\S+)")


def accept_url(token: str) -> str:
    return f"https://portal.example/join/{token}"


def invite(workteam, email: str) -> tuple[EmailInvitation, str]:
    """Send an invitation; returns it and the token read back from the email."""
    invitation = email_invitation_create(workteam=workteam, email=email, accept_url=accept_url)
    token = LINK.search(mail.outbox[-1].body).group(1)
    return invitation, token


@pytest.fixture
def team(requester):
    return workteam_create(owner=requester.organization, name="Annotators")


def test_creating_sends_one_email_with_a_link_whose_token_is_stored_only_as_a_hash(team):
    # when
    invitation, token = invite(team, "  Ada@Example.COM ")
    # then
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ada@example.com"]
    assert "Annotators" in mail.outbox[0].subject
    assert invitation.email == "ada@example.com" and invitation.status == "pending"
    stored = EmailInvitation.objects.get(pk=invitation.pk)
    assert stored.token_hash == hash_secret(token) and token not in str(stored.__dict__)
    assert signing.loads(token, salt=EMAIL_INVITATION_SALT)["i"] == invitation.pk
    assert abs((stored.expires_at - timezone.now()) - timedelta(days=7)) < timedelta(minutes=1)


def test_accepting_with_a_new_account_creates_the_worker_with_the_address_and_joins_the_team(team):
    # given
    invitation, token = invite(team, "ada@example.com")
    # when
    worker, new_token = email_invitation_accept(token=token, username="ada")
    # then
    assert worker.username == "ada" and worker.email == "ada@example.com"
    assert Worker.objects.get(token_hash=hash_secret(new_token)) == worker
    assert set(worker.workteams.all()) == {team}  # not the public workforce: the requester invited it
    invitation.refresh_from_db()
    assert invitation.status == "accepted" and invitation.accepted_worker == worker
    assert invitation.accepted_at is not None


def test_accepting_with_an_existing_account_links_it_when_its_token_proves_it(team, make_worker):
    # given
    existing = make_worker("grace")
    _, token = invite(team, "grace@example.com")
    # when
    worker, new_token = email_invitation_accept(token=token, worker_token=existing.token)
    # then
    assert worker == existing and new_token is None
    existing.refresh_from_db()
    assert existing.email == "grace@example.com"
    assert set(existing.workteams.all()) == {public_workforce(), team}


def test_a_wrong_worker_token_links_nothing_and_leaves_the_link_usable(team, make_worker):
    # given
    make_worker("grace")
    invitation, token = invite(team, "grace@example.com")
    # when
    with pytest.raises(InvalidInput) as raised:
        email_invitation_accept(token=token, worker_token="gww_not-a-real-token")
    # then
    assert "worker_token" in raised.value.fields
    invitation.refresh_from_db()
    assert invitation.status == "pending" and not WorkteamMembership.objects.filter(workteam=team).exists()
    assert email_invitation_for_token(token) == invitation


def test_a_tampered_token_is_invalid(team, requester):
    # given: a valid link of this team, and another invitation of the same team
    invitation, token = invite(team, "ada@example.com")
    other, _ = invite(team, "bob@example.com")
    payload = signing.loads(token, salt=EMAIL_INVITATION_SALT)
    forged_for_other = signing.dumps({**payload, "i": other.pk}, salt="not-our-salt")
    value, timestamp, signature = token.rsplit(":", 2)
    flipped = f"{value}:{timestamp}:{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}"
    # then
    for bad in (flipped, forged_for_other, token + "x", "", "garbage", "a:b:c", 42, None):
        with pytest.raises(InvitationLinkError) as raised:
            email_invitation_for_token(bad)
        assert raised.value.code == "invitation_invalid" and raised.value.status == 404
    with pytest.raises(InvitationLinkError):
        email_invitation_accept(token=flipped, username="mallory")
    assert not Worker.objects.filter(username="mallory").exists()
    assert EmailInvitation.objects.filter(status="pending").count() == 2


def test_a_token_signed_for_another_address_is_invalid_even_with_our_key(team):
    # given: a correctly signed token naming this invitation's id but another address
    invitation, token = invite(team, "ada@example.com")
    forged = signing.dumps({"i": invitation.pk, "e": "eve@example.com", "n": "x"}, salt=EMAIL_INVITATION_SALT)
    # then: the stored hash is of the emailed token only, and the address must match
    with pytest.raises(InvitationLinkError) as raised:
        email_invitation_for_token(forged)
    assert raised.value.code == "invitation_invalid"


def test_an_account_bound_to_another_address_cannot_take_the_invitation(team, make_worker):
    # given: grace joined another team through an invitation to grace@example.com
    first_team = workteam_create(owner=team.owner, name="First")
    grace = make_worker("grace")
    _, first = invite(first_team, "grace@example.com")
    email_invitation_accept(token=first, worker_token=grace.token)
    invitation, token = invite(team, "ada@example.com")
    # when
    with pytest.raises(InvalidInput) as raised:
        email_invitation_accept(token=token, worker_token=grace.token)
    # then
    assert "another address" in raised.value.fields["worker_token"][0]
    invitation.refresh_from_db()
    assert invitation.status == "pending"
    assert not WorkteamMembership.objects.filter(workteam=team).exists()


def test_an_address_with_an_account_must_link_it_rather_than_make_a_second(team, make_worker):
    # given
    ada = make_worker("ada")
    _, first = invite(workteam_create(owner=team.owner, name="First"), "ada@example.com")
    email_invitation_accept(token=first, worker_token=ada.token)
    _, token = invite(team, "ada@example.com")
    # when
    with pytest.raises(InvalidInput) as raised:
        email_invitation_accept(token=token, username="ada-again")
    # then
    assert "username" in raised.value.fields
    assert not Worker.objects.filter(username="ada-again").exists()
    worker, _ = email_invitation_accept(token=token, worker_token=ada.token)
    assert worker == ada and team in ada.workteams.all()


def test_a_link_works_once(team):
    # given
    _, token = invite(team, "ada@example.com")
    email_invitation_accept(token=token, username="ada")
    # when
    with pytest.raises(InvitationLinkError) as raised:
        email_invitation_accept(token=token, username="ada-2")
    # then
    assert raised.value.code == "invitation_used"
    assert not Worker.objects.filter(username="ada-2").exists()
    assert WorkteamMembership.objects.filter(workteam=team).count() == 1


def test_an_expired_link_is_refused_and_marked_expired(team, settings):
    # given
    settings.INVITATION_LIFETIME_SECONDS = 60
    invitation, token = invite(team, "ada@example.com")
    EmailInvitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    # then
    with pytest.raises(InvitationLinkError) as raised:
        email_invitation_accept(token=token, username="ada")
    assert raised.value.code == "invitation_expired"
    assert not Worker.objects.filter(username="ada").exists()
    with pytest.raises(InvitationLinkError):
        email_invitation_for_token(token)  # outside the accept's transaction the mark sticks
    invitation.refresh_from_db()
    assert invitation.status == "expired" and invitation.display_status == "expired"


def test_the_lifetime_comes_from_the_setting(team, settings):
    settings.INVITATION_LIFETIME_SECONDS = 3600
    invitation, _ = invite(team, "ada@example.com")
    assert abs((invitation.expires_at - timezone.now()) - timedelta(hours=1)) < timedelta(minutes=1)


def test_a_revoked_link_is_refused_and_revoking_again_is_a_no_op(team):
    # given
    invitation, token = invite(team, "ada@example.com")
    # when
    email_invitation_revoke(invitation=invitation)
    email_invitation_revoke(invitation=invitation)
    # then
    assert invitation.status == "revoked" and invitation.revoked_at is not None
    with pytest.raises(InvitationLinkError) as raised:
        email_invitation_accept(token=token, username="ada")
    assert raised.value.code == "invitation_revoked"
    assert not Worker.objects.filter(username="ada").exists()


def test_an_accepted_invitation_cannot_be_revoked(team):
    invitation, token = invite(team, "ada@example.com")
    email_invitation_accept(token=token, username="ada")
    with pytest.raises(Conflict) as raised:
        email_invitation_revoke(invitation=invitation)
    assert raised.value.code == "invitation_not_pending"
    invitation.refresh_from_db()
    assert invitation.status == "accepted"


def test_reinviting_an_address_revokes_its_pending_link_and_sends_a_new_one(team):
    # given
    first, old_token = invite(team, "ada@example.com")
    # when
    second, new_token = invite(team, "ADA@example.com")
    # then
    first.refresh_from_db()
    assert first.status == "revoked" and second.status == "pending" and old_token != new_token
    with pytest.raises(InvitationLinkError) as raised:
        email_invitation_for_token(old_token)
    assert raised.value.code == "invitation_revoked"
    worker, _ = email_invitation_accept(token=new_token, username="ada")
    assert team in worker.workteams.all()


def test_inviting_a_member_again_is_a_conflict_and_sends_nothing(team):
    _, token = invite(team, "ada@example.com")
    email_invitation_accept(token=token, username="ada")
    sent = len(mail.outbox)
    with pytest.raises(Conflict) as raised:
        email_invitation_create(workteam=team, email="ada@example.com", accept_url=accept_url)
    assert raised.value.code == "already_member" and len(mail.outbox) == sent


def test_only_private_teams_take_email_invitations_and_addresses_are_checked(team):
    with pytest.raises(InvalidInput):
        email_invitation_create(workteam=public_workforce(), email="ada@example.com", accept_url=accept_url)
    for bad in ("not an address", "", "a@", None, "x" * 300 + "@example.com"):
        with pytest.raises(InvalidInput):
            email_invitation_create(workteam=team, email=bad, accept_url=accept_url)
    assert EmailInvitation.objects.count() == 0 and mail.outbox == []


def test_a_failed_send_revokes_the_invitation(team, settings):
    # given: a mail server that refuses the connection
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    # when
    with pytest.raises(InvitationNotSent):
        email_invitation_create(workteam=team, email="ada@example.com", accept_url=accept_url)
    # then
    assert list(EmailInvitation.objects.values_list("status", flat=True)) == ["revoked"]


def test_a_hostile_team_name_reaches_the_email_as_plain_text(requester):
    team = workteam_create(owner=requester.organization, name="<script>alert(1)</script>")
    invite(team, "ada@example.com")
    assert mail.outbox[0].content_subtype == "plain" and not mail.outbox[0].alternatives


def test_a_line_break_in_the_team_name_cannot_inject_a_header(requester):
    # given
    team = workteam_create(owner=requester.organization, name="Team\r\nBcc: eve@example.com")
    # when
    invitation, _ = invite(team, "ada@example.com")
    # then
    message = mail.outbox[0].message()
    assert message["Subject"] == "You are invited to join Team Bcc: eve@example.com on Groundwork"
    assert message["Bcc"] is None and mail.outbox[0].recipients() == ["ada@example.com"]
    assert invitation.status == "pending"


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_accepts_of_one_link_make_exactly_one_member(requester):
    # given
    assert connection.vendor == "postgresql"
    team = workteam_create(owner=requester.organization, name="Race")
    invitation, token = invite(team, "ada@example.com")
    barrier = threading.Barrier(4)
    outcomes: list[object] = []

    def accept(username: str) -> None:
        barrier.wait()
        try:
            worker, _ = email_invitation_accept(token=token, username=username)
            outcomes.append(worker.username)
        except InvitationLinkError as error:
            outcomes.append(error.code)
        except Exception as error:  # anything else is a failure the assertion below shows
            outcomes.append(repr(error))
        finally:
            connection.close()

    # when
    threads = [threading.Thread(target=accept, args=(f"racer-{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then
    winners = [outcome for outcome in outcomes if str(outcome).startswith("racer-")]
    assert len(winners) == 1 and sorted(outcomes) == sorted(winners + ["invitation_used"] * 3)
    assert list(Worker.objects.filter(username__startswith="racer-").values_list("username", flat=True)) == winners
    assert list(WorkteamMembership.objects.filter(workteam=team).values_list("worker__username", flat=True)) == winners
    invitation.refresh_from_db()
    assert invitation.status == "accepted" and invitation.accepted_worker.username == winners[0]
