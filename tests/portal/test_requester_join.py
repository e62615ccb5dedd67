"""The public page an emailed invitation links to: ``/portal/join/<token>``."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from marketplace.credentials import hash_secret
from marketplace.models import EmailInvitation, Worker
from marketplace.services.email_invitations import email_invitation_create
from marketplace.services.workteams import workteam_create

from .requester_factories import HOSTILE, last_join_path

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(make_requester):
    return workteam_create(owner=make_requester(HOSTILE).organization, name="Annotators")


def invite(team, email: str = "ada@example.com") -> str:
    email_invitation_create(workteam=team, email=email, accept_url=lambda t: f"http://testserver/portal/join/{t}")
    return last_join_path()


def test_the_page_names_the_team_and_the_requester_escaped_without_a_sign_in(team):
    path = invite(team)
    page = Client().get(path)
    body = page.content.decode()
    assert page.status_code == 200
    assert "Annotators" in body and "ada@example.com" in body
    assert HOSTILE not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "no-cache" in page["Cache-Control"] or "max-age=0" in page["Cache-Control"]


def test_creating_an_account_shows_its_token_once_and_joins_the_team(team):
    # given
    path = invite(team)
    client = Client()
    # when
    done = client.post(path, {"action": "create", "new-username": "ada"})
    # then
    assert done.status_code == 200
    token = done.context["new_token"]
    worker = Worker.objects.get(token_hash=hash_secret(token))
    assert worker.username == "ada" and worker.email == "ada@example.com" and team in worker.workteams.all()
    assert token in done.content.decode()
    again = client.post(path, {"action": "create", "new-username": "ada2"})
    assert again.status_code == 409 and "already been accepted" in again.content.decode()
    assert token not in again.content.decode() and not Worker.objects.filter(username="ada2").exists()


def test_linking_an_existing_account_needs_its_current_token(team, make_worker):
    # given
    grace = make_worker("grace")
    path = invite(team, "grace@example.com")
    client = Client()
    # when: a wrong token, then the right one
    wrong = client.post(path, {"action": "link", "link-worker_token": "gww_wrong"})
    right = client.post(path, {"action": "link", "link-worker_token": grace.token})
    # then
    assert wrong.status_code == 400 and "is not the current token of an active worker account" in wrong.content.decode()
    assert right.status_code == 200 and right.context["new_token"] is None and "grace" in right.content.decode()
    assert grace.token not in right.content.decode() and grace.token not in wrong.content.decode()
    assert team in grace.workteams.all()


def test_a_taken_username_is_an_error_on_the_page_and_the_link_still_works(team, make_worker):
    make_worker("ada")
    path = invite(team)
    response = Client().post(path, {"action": "create", "new-username": "ada"})
    assert response.status_code == 400 and "is already taken" in response.content.decode()
    assert EmailInvitation.objects.get().status == "pending"
    assert Client().post(path, {"action": "create", "new-username": "ada-labels"}).status_code == 200


@pytest.mark.parametrize("mangle", [lambda p: p + "x", lambda p: p[:-3], lambda p: "/portal/join/not-a-token"])
def test_a_bad_link_is_a_404_page(team, mangle):
    path = invite(team)
    response = Client().get(mangle(path))
    assert response.status_code == 404 and "not valid" in response.content.decode()
    assert Client().post(mangle(path), {"action": "create", "new-username": "eve"}).status_code == 404
    assert not Worker.objects.filter(username="eve").exists()


def test_a_revoked_or_replaced_link_explains_itself(team):
    old = invite(team)
    new = invite(team)  # re-inviting the address replaces its link
    response = Client().get(old)
    assert response.status_code == 409 and "withdrawn" in response.content.decode()
    assert Client().get(new).status_code == 200
    assert len(mail.outbox) == 2


def test_the_join_form_is_csrf_protected(team):
    path = invite(team)
    response = Client(enforce_csrf_checks=True).post(path, {"action": "create", "new-username": "ada"})
    assert response.status_code == 403 and not Worker.objects.filter(username="ada").exists()
