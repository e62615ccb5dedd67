"""In headless Chromium: a requester admin invites an address to a private team; the invitee
opens the emailed link in a fresh browser, creates a worker account, and with the token shown
claims the team's work over the REST API; the admin then sees the member and its live work.

The email is read from ``django.core.mail.outbox`` (pytest-django's locmem backend, shared with
the live server's thread): the one fake here, at the email boundary.
"""

from __future__ import annotations

import json
import urllib.request

import pytest
from django.core import mail

from marketplace.models import Membership

from .requester_factories import HOSTILE, JOIN_LINK, make_job

pytestmark = pytest.mark.django_db(transaction=True)


def sign_in(page, username: str, password: str) -> None:
    page.goto("/portal/login")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("main button[type=submit]")
    page.wait_for_url("**/portal/requester/")


def claim_over_rest(base_url: str, token: str) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"{base_url}/api/v1/worker/tasks/next",
        method="POST",
        data=b"",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=15) as response:
        return response.status, json.loads(response.read() or b"{}")


def test_an_emailed_invitation_brings_a_new_worker_into_a_private_team(
    page, browser, live_server, screenshot_dir, make_tasks, make_requester
):
    # given: a requester admin (its first password already changed) with a job on its dashboard
    acme = make_requester("Acme ML")
    Membership.objects.filter(user__username=acme.admin_username).update(password_change_required=False)
    make_job(acme.organization, name="sentiment-v1", objects_total=40, human_labeled=25, failed_objects=1)
    sign_in(page, acme.admin_username, acme.admin_password)
    assert "sentiment-v1" in page.inner_text("#jobs")
    page.screenshot(path=str(screenshot_dir / "requester-dashboard.png"), full_page=True)

    # when: the admin creates a team and invites an address
    page.click("text=Private teams")
    page.fill("#id_name", "Night shift")
    page.click("#new-team button[type=submit]")
    page.wait_for_url("**/portal/requester/teams/*")
    page.fill("#id_email", "ada@example.com")
    page.click("#invite button[type=submit]")
    page.wait_for_selector("text=Invitation sent to ada@example.com.")
    assert "pending" in page.inner_text("#invitations")
    team_url = page.url
    team_id = int(team_url.rsplit("/", 1)[1])

    # then: the email holds a link; a fresh browser (no cookies) opens it and makes an account
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ada@example.com"]
    link = JOIN_LINK.search(mail.outbox[0].body).group(0)
    assert link.startswith(live_server.url)
    invitee_context = browser.new_context()
    invitee = invitee_context.new_page()
    invitee.goto(link)
    assert "Acme ML" in invitee.inner_text("main") and "Night shift" in invitee.inner_text("h1")
    invitee.screenshot(path=str(screenshot_dir / "requester-join.png"), full_page=True)
    invitee.fill("#id_new-username", "ada-labels")
    invitee.click("#create-account button[type=submit]")
    token = invitee.inner_text("#worker-token").strip()
    assert token.startswith("gww_")
    invitee.screenshot(path=str(screenshot_dir / "requester-join-done.png"), full_page=True)
    invitee.goto(link)  # the link worked once
    assert "already been accepted" in invitee.inner_text("#reason")
    invitee_context.close()

    # and the worker, with that token, claims the team's work over the REST API
    make_tasks(acme.organization, 1, workteam_id=team_id, title=HOSTILE)
    status, offer = claim_over_rest(live_server.url, token)
    assert status == 200 and offer["task_id"]

    # and the admin sees the member with its live work, the hostile title inert
    page.goto(team_url)
    members = page.inner_text("#members")
    assert "ada-labels" in members and "ada@example.com" in members and HOSTILE in members
    assert page.evaluate("() => document.querySelectorAll('#members script').length") == 0
    assert "accepted" in page.inner_text("#invitations")
    page.screenshot(path=str(screenshot_dir / "requester-team.png"), full_page=True)
