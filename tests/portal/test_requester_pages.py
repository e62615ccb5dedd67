"""Requester portal pages: the jobs dashboard, private teams, members' quality and live work,
inviting by email, revoking, removing; each admin sees only its own organization's."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from marketplace.models import EmailInvitation, Workteam, WorkteamMembership
from marketplace.selectors.reputation import worker_reputation_values
from marketplace.services.email_invitations import email_invitation_create
from marketplace.services.organizations import vendor_create
from marketplace.services.reputation import reputation_count
from marketplace.services.workteams import public_workforce, workteam_create

from .requester_factories import HOSTILE, admin_client, join_by_email, last_join_path, make_job

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(make_requester):
    return make_requester("Acme ML")


@pytest.fixture
def team(acme):
    return workteam_create(owner=acme.organization, name="Annotators")


def html(response) -> str:
    return response.content.decode()


def without_csrf(body: str) -> str:
    """The page with its CSRF token (masked differently on every render) blanked."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body)


# --- dashboard ---------------------------------------------------------------------------


def test_the_dashboard_lists_the_requesters_jobs_with_status_and_progress_and_no_one_elses(acme, make_requester):
    # given
    other = make_requester("Other Co")
    make_job(acme.organization, name="cats-v1", objects_total=200, human_labeled=120, failed_objects=30)
    make_job(acme.organization, name="dogs-v2", status="completed", objects_total=10, human_labeled=10)
    make_job(other.organization, name="secret-job-of-other")
    # when
    page = admin_client(acme).get("/portal/requester/")
    # then
    body = html(page)
    assert page.status_code == 200
    assert "cats-v1" in body and "dogs-v2" in body and "secret-job-of-other" not in body
    assert [job.name for job in page.context["jobs"]] == ["dogs-v2", "cats-v1"]
    cats = page.context["jobs"][1]
    assert (cats.status, cats.labeled, cats.failed, cats.percent_labeled) == ("in_progress", 120, 30, 60)
    assert "120 / 200" in body and "(60 %)" in body and "(100 %)" in body and "In progress" in body
    assert (page.context["active_jobs"], page.context["completed_jobs"]) == (1, 1)


def test_the_dashboard_escapes_a_hostile_workteam_name(acme):
    team = workteam_create(owner=acme.organization, name=HOSTILE)
    make_job(acme.organization, name="job-1", workteam=team)
    body = html(admin_client(acme).get("/portal/requester/"))
    assert HOSTILE not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_the_dashboard_without_jobs_says_how_to_make_one(acme):
    body = html(admin_client(acme).get("/portal/requester/"))
    assert "No labeling jobs yet" in body


# --- teams -------------------------------------------------------------------------------


def test_an_admin_creates_a_private_team_and_sees_it_listed(acme):
    client = admin_client(acme)
    response = client.post("/portal/requester/teams", {"name": "Night shift"})
    workteam = Workteam.objects.get(name="Night shift")
    assert (workteam.kind, workteam.owner_id) == ("private", acme.organization.pk)
    assert response.status_code == 302 and response["Location"] == f"/portal/requester/teams/{workteam.pk}"
    listing = client.get("/portal/requester/teams")
    assert [t.name for t in listing.context["teams"]] == ["Night shift"]


def test_a_blank_team_name_is_an_error_on_the_page(acme):
    response = admin_client(acme).post("/portal/requester/teams", {"name": "   "})
    assert response.status_code == 400 and "This field is required." in html(response)
    assert not Workteam.objects.filter(owner=acme.organization).exists()


def test_the_teams_page_lists_only_own_private_teams_and_escapes_names(acme, make_requester):
    workteam_create(owner=acme.organization, name=HOSTILE)
    workteam_create(owner=make_requester("Other").organization, name="Theirs")
    page = admin_client(acme).get("/portal/requester/teams")
    body = html(page)
    assert [t.name for t in page.context["teams"]] == [HOSTILE]
    assert "Theirs" not in body and public_workforce().name not in body
    assert HOSTILE not in body and "&lt;script&gt;" in body


def test_the_team_page_shows_members_quality_and_live_work(acme, team, make_tasks):
    # given: two members, one with a reviewed record and a live assignment on a hostile task
    ada, ada_token = join_by_email(team, "ada@example.com", "ada")
    join_by_email(team, "bob@example.com", "bob")  # usernames cannot hold markup; task titles can
    reputation_count(worker_id=ada.pk, approved=3, rejected=1, gold_answered=10, gold_correct=9)
    make_tasks(acme.organization, 1, workteam_id=team.pk, title=HOSTILE)
    claim = Client().post("/api/v1/worker/tasks/next", HTTP_AUTHORIZATION=f"Bearer {ada_token}")
    assert claim.status_code == 200
    # when
    page = admin_client(acme).get(f"/portal/requester/teams/{team.pk}")
    # then
    body = html(page)
    members = {member.username: member for member in page.context["members"]}
    assert set(members) == {"ada", "bob"}
    values = worker_reputation_values(ada.pk)
    assert members["ada"].approval_rate == 75.0 and members["ada"].accuracy == values["accuracy"]
    assert f"{values['accuracy']:.1f} %" in body and "75.0 %" in body and "ada@example.com" in body
    assert [work.assignment_id for work in members["ada"].live_work] == [claim.json()["assignment_id"]]
    assert members["bob"].live_work == () and "no evidence" in body
    assert page.context["live_assignment_count"] == 1
    assert HOSTILE not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body


# --- invitations from the team page ------------------------------------------------------


def test_inviting_from_the_team_page_emails_a_join_link_and_lists_the_invitation(acme, team):
    client = admin_client(acme)
    response = client.post(f"/portal/requester/teams/{team.pk}/invite", {"email": "Ada@Example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ada@example.com"]
    assert last_join_path().startswith("/portal/join/")
    invitation = EmailInvitation.objects.get()
    assert (invitation.workteam, invitation.status, invitation.created_by.username) == (
        team,
        "pending",
        acme.admin_username,
    )
    page = client.get(f"/portal/requester/teams/{team.pk}")
    assert "Invitation sent to ada@example.com." in html(page)
    assert [i.email for i in page.context["invitations"]] == ["ada@example.com"]


def test_the_link_uses_public_base_url_when_set(acme, team, settings):
    settings.PUBLIC_BASE_URL = "https://labels.example.com"
    admin_client(acme).post(f"/portal/requester/teams/{team.pk}/invite", {"email": "ada@example.com"})
    assert "https://labels.example.com/portal/join/" in mail.outbox[0].body


def test_a_bad_address_or_a_member_is_an_error_on_the_page_and_sends_nothing(acme, team):
    join_by_email(team, "ada@example.com", "ada")
    sent = len(mail.outbox)
    client = admin_client(acme)
    bad = client.post(f"/portal/requester/teams/{team.pk}/invite", {"email": "not-an-address"})
    member = client.post(f"/portal/requester/teams/{team.pk}/invite", {"email": "ADA@example.com"})
    assert bad.status_code == 400 and "Enter a valid email address." in html(bad)
    assert member.status_code == 400 and "already a member of this team" in html(member)
    assert len(mail.outbox) == sent and EmailInvitation.objects.filter(status="pending").count() == 0


def test_revoking_from_the_team_page_withdraws_the_link(acme, team):
    client = admin_client(acme)
    client.post(f"/portal/requester/teams/{team.pk}/invite", {"email": "ada@example.com"})
    invitation = EmailInvitation.objects.get()
    response = client.post(f"/portal/requester/teams/{team.pk}/invitations/{invitation.pk}/revoke")
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.status == "revoked"
    assert Client().get(last_join_path()).status_code == 409


def test_removing_a_member_keeps_its_live_work(acme, team, make_tasks):
    # given
    ada, ada_token = join_by_email(team, "ada@example.com", "ada")
    make_tasks(acme.organization, 1, workteam_id=team.pk)
    claim = Client().post("/api/v1/worker/tasks/next", HTTP_AUTHORIZATION=f"Bearer {ada_token}")
    # when
    response = admin_client(acme).post(f"/portal/requester/teams/{team.pk}/members/{ada.pk}/remove")
    # then
    assert response.status_code == 302
    assert not WorkteamMembership.objects.filter(workteam=team, worker=ada).exists()
    submit = Client().post(
        f"/api/v1/worker/assignments/{claim.json()['assignment_id']}/submit",
        {"answer": {"ok": True}},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {ada_token}",
    )
    assert submit.status_code == 200


def test_post_only_actions_refuse_get(acme, team):
    client = admin_client(acme)
    assert client.get(f"/portal/requester/teams/{team.pk}/invite").status_code == 405
    assert EmailInvitation.objects.count() == 0


def test_team_forms_are_csrf_protected(acme, team):
    client = Client(enforce_csrf_checks=True)
    assert client.login(username=acme.admin_username, password=acme.admin_password)
    admin_client(acme)  # clears the forced password change
    response = client.post(f"/portal/requester/teams/{team.pk}/invite", {"email": "ada@example.com"})
    assert response.status_code == 403 and mail.outbox == [] and EmailInvitation.objects.count() == 0


# --- tenancy: URL guessing ---------------------------------------------------------------


def test_another_requesters_team_invitation_and_member_ids_are_the_same_404_as_missing_ones(acme, team, make_requester):
    # given: Acme's team with a member and a pending invitation; a rival requester's admin
    ada, _ = join_by_email(team, "ada@example.com", "ada")
    invitation = email_invitation_create(workteam=team, email="bob@example.com", accept_url=lambda t: t)
    rival = make_requester("Rival")
    rival_team = workteam_create(owner=rival.organization, name="Rival team")
    client = admin_client(rival)
    sent = len(mail.outbox)
    missing = 10**9
    # when / then: every page and action on Acme's ids answers like a missing id
    guesses = [
        ("get", f"/portal/requester/teams/{team.pk}", f"/portal/requester/teams/{missing}"),
        ("post", f"/portal/requester/teams/{team.pk}/invite", f"/portal/requester/teams/{missing}/invite"),
        (
            "post",
            f"/portal/requester/teams/{team.pk}/invitations/{invitation.pk}/revoke",
            f"/portal/requester/teams/{missing}/invitations/{missing}/revoke",
        ),
        (
            "post",
            f"/portal/requester/teams/{rival_team.pk}/invitations/{invitation.pk}/revoke",
            f"/portal/requester/teams/{rival_team.pk}/invitations/{missing}/revoke",
        ),
        (
            "post",
            f"/portal/requester/teams/{team.pk}/members/{ada.pk}/remove",
            f"/portal/requester/teams/{missing}/members/{missing}/remove",
        ),
        (
            "post",
            f"/portal/requester/teams/{rival_team.pk}/members/{ada.pk}/remove",
            f"/portal/requester/teams/{rival_team.pk}/members/{missing}/remove",
        ),
        ("get", f"/portal/requester/teams/{public_workforce().pk}", f"/portal/requester/teams/{missing}"),
    ]
    for method, foreign, absent in guesses:
        data = {"email": "eve@example.com"} if method == "post" else None
        foreign_response = getattr(client, method)(foreign, data)
        absent_response = getattr(client, method)(absent, data)
        assert foreign_response.status_code == absent_response.status_code == 404, foreign
        assert without_csrf(html(foreign_response)) == without_csrf(html(absent_response)), foreign
    # and nothing changed
    invitation.refresh_from_db()
    assert invitation.status == "pending" and len(mail.outbox) == sent
    assert WorkteamMembership.objects.filter(workteam=team, worker=ada).exists()
    assert not EmailInvitation.objects.filter(email="eve@example.com").exists()
    assert "Annotators" not in html(client.get("/portal/requester/teams"))


def test_a_vendor_admin_gets_404_on_requester_pages(acme, team):
    vendor = vendor_create(name="Vendor")
    client = admin_client(vendor)
    assert client.get(f"/portal/requester/teams/{team.pk}").status_code == 404
    assert client.get("/portal/requester/teams").status_code == 404


def test_requester_pages_need_a_sign_in(team):
    response = Client().get(f"/portal/requester/teams/{team.pk}")
    assert response.status_code == 302 and response["Location"].startswith("/portal/login")


def test_huge_or_malformed_ids_and_tokens_are_a_404_not_a_500(acme, team):
    client = admin_client(acme)
    huge = "9" * 30
    assert client.get(f"/portal/requester/teams/{huge}").status_code == 404
    assert client.post(f"/portal/requester/teams/{team.pk}/members/{huge}/remove").status_code == 404
    assert client.post(f"/portal/requester/teams/{team.pk}/invitations/{huge}/revoke").status_code == 404
    assert Client().get("/portal/join/" + "a" * 5000).status_code == 404


def test_a_member_invited_by_another_requester_shows_no_address_it_was_invited_at_elsewhere(acme, team, make_requester):
    # given: ada joined another requester's team by email, then joins acme's by worker id
    from marketplace.services.workteams import invitation_accept, invitation_create, workteam_create

    other_team = workteam_create(owner=make_requester("Other").organization, name="Theirs")
    ada, _ = join_by_email(other_team, "ada@private.example", "ada")
    invitation_accept(invitation=invitation_create(workteam=team, worker=ada))
    # when
    page = admin_client(acme).get(f"/portal/requester/teams/{team.pk}")
    # then
    assert [member.username for member in page.context["members"]] == ["ada"]
    assert page.context["members"][0].email == "" and "ada@private.example" not in html(page)
