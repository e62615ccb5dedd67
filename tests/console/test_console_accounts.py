"""Console accounts: activation, sign-in, sessions apart from the portal's, resets, and the
sign-in throttle shared with the portal (issue 13, defect 11)."""

from __future__ import annotations

import re
import time

import pytest
from django.core import mail
from django.test import Client

from marketplace.models import Worker
from marketplace.services.worker_accounts import WORKER_SESSION_KEY, worker_password_set

from .conftest import CONSOLE_PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def worker(make_worker):
    worker = make_worker("ada-console")
    worker_password_set(worker=worker, password=CONSOLE_PASSWORD)
    return worker


def console_client(worker=None, password: str = CONSOLE_PASSWORD) -> Client:
    client = Client(enforce_csrf_checks=False)
    if worker is not None:
        response = client.post("/console/signin", {"username": worker.username, "password": password})
        assert response.status_code == 302, response.content
    return client


# --- activation and sign-in --------------------------------------------------------------------
def test_activation_sets_a_password_and_the_token_keeps_working(make_worker):
    # given: a worker with only a token
    worker = make_worker("token-only")
    client = Client()

    # when
    step_one = client.post("/console/activate", {"token": worker.token})
    step_two = client.post(
        "/console/activate/password", {"new_password1": CONSOLE_PASSWORD, "new_password2": CONSOLE_PASSWORD}
    )

    # then: signed in on the console, able to sign in again by name, the token still works
    assert (step_one.status_code, step_one["Location"]) == (302, "/console/activate/password")
    assert (step_two.status_code, step_two["Location"]) == (302, "/console/")
    assert client.session[WORKER_SESSION_KEY] == worker.pk
    assert console_client(worker).session[WORKER_SESSION_KEY] == worker.pk
    assert worker.client.get("/api/v1/worker/me").status_code == 200


def test_a_wrong_token_activates_nothing(make_worker):
    worker = make_worker("token-only-2")
    client = Client()

    response = client.post("/console/activate", {"token": "gww_not-a-token"})
    skipped = client.get("/console/activate/password")

    assert response.status_code == 400
    assert "not a working worker token" in response.content.decode()
    assert skipped["Location"] == "/console/activate"
    assert Worker.objects.get(pk=worker.pk).password == ""


def test_sign_in_by_email_and_sign_out(worker):
    Worker.objects.filter(pk=worker.pk).update(email="ada@example.com")
    client = Client()

    signed_in = client.post("/console/signin", {"username": "ADA@example.com", "password": CONSOLE_PASSWORD})
    home = client.get("/console/")
    client.post("/console/signout")
    after = client.get("/console/")

    assert signed_in.status_code == 302
    assert b"data-username" in home.content
    assert b"data-username" not in after.content and b'name="password"' in after.content


def test_console_pages_carry_a_strict_content_security_policy(worker):
    client = console_client(worker)
    for path in ("/console/", "/console/work", "/console/history", "/console/tests", "/console/activate"):
        policy = client.get(path)["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "style-src 'self'" in policy
        assert "unsafe-inline" not in policy


def test_a_password_change_signs_other_sessions_out(worker):
    client = console_client(worker)
    assert client.get("/api/v1/worker/me").status_code == 200

    worker_password_set(worker=worker, password="another long password 42")

    assert client.get("/api/v1/worker/me").status_code == 401
    assert client.get("/console/work")["Location"].startswith("/console/?next=")


def test_password_reset_by_email(worker):
    Worker.objects.filter(pk=worker.pk).update(email="ada@example.com")
    client = Client()

    client.post("/console/password/reset", {"email": "ada@example.com"})
    client.post("/console/password/reset", {"email": "nobody@example.com"})  # the same page, no email
    link = re.search(r"http://testserver(/console/password/reset/\S+)", mail.outbox[0].body).group(1)
    changed = client.post(link, {"new_password1": "a brand new secret 7", "new_password2": "a brand new secret 7"})
    reused = Client().get(link)

    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ada@example.com"]
    assert changed.status_code == 302 and client.session[WORKER_SESSION_KEY] == worker.pk
    assert reused.status_code == 400  # spent: the password it was made for changed
    assert (
        Client().post("/console/signin", {"username": worker.username, "password": CONSOLE_PASSWORD}).status_code == 200
    )  # the old password no longer signs in
    assert console_client(worker, "a brand new secret 7").session[WORKER_SESSION_KEY] == worker.pk


# --- the session as API credentials -----------------------------------------------------------
def test_the_session_is_a_worker_credential_with_csrf_checks(worker):
    client = Client(enforce_csrf_checks=True)
    page = client.get("/console/")
    token = client.cookies["csrftoken"].value
    assert page.status_code == 200
    client.post(
        "/console/signin", {"username": worker.username, "password": CONSOLE_PASSWORD, "csrfmiddlewaretoken": token}
    )

    me = client.get("/api/v1/worker/me")
    without_csrf = client.post("/api/v1/worker/ws-ticket")
    with_csrf = client.post("/api/v1/worker/ws-ticket", HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value)

    assert (me.status_code, me.json()["worker_id"]) == (200, worker.pk)
    assert without_csrf.status_code == 403 and "CSRF" in without_csrf.json()["error"]["message"]
    assert with_csrf.status_code == 200 and with_csrf.json()["ticket"].startswith("gwt_")


def test_a_worker_session_opens_no_requester_endpoint_and_no_portal_page(worker):
    client = console_client(worker)

    assert client.get("/api/v1/tasks").status_code == 401  # the session is no requester credential
    assert client.get("/portal/")["Location"] == "/portal/login"
    assert client.get("/portal/requester/")["Location"].startswith("/portal/login")


def test_a_portal_session_never_opens_the_console(requester):
    from tests.portal.conftest import signed_in

    client = signed_in(requester.admin_username, requester.admin_password)

    home = client.get("/console/")
    work = client.get("/console/work")
    me = client.get("/api/v1/worker/me")

    assert b'name="password"' in home.content and b"data-username" not in home.content
    assert work.status_code == 302 and work["Location"].startswith("/console/")
    assert me.status_code == 401


# --- throttling: the console and the portal ------------------------------------------------------
@pytest.fixture
def short_lock(settings):
    settings.GROUNDWORK = {
        **settings.GROUNDWORK,
        "SIGNIN_FAILURES_PER_ACCOUNT": 5,
        "SIGNIN_FAILURES_PER_ADDRESS": 20,
        "SIGNIN_LOCK_SECONDS": 2,
    }


def test_console_sign_in_is_throttled_per_account_for_a_limited_time(worker, short_lock):
    client = Client()
    wrong = [
        client.post("/console/signin", {"username": worker.username, "password": f"wrong {i}"}).status_code
        for i in range(5)
    ]

    locked = client.post("/console/signin", {"username": worker.username, "password": CONSOLE_PASSWORD})

    assert wrong == [200, 200, 200, 200, 429]
    assert locked.status_code == 429 and int(locked["Retry-After"]) <= 2
    assert "Too many failed sign-ins for this account. Try again in 2 seconds" in locked.content.decode()
    assert WORKER_SESSION_KEY not in client.session

    # when: the lock's window ends
    time.sleep(2.1)
    after = client.post("/console/signin", {"username": worker.username, "password": CONSOLE_PASSWORD})

    assert after.status_code == 302 and client.session[WORKER_SESSION_KEY] == worker.pk


def test_portal_sign_in_is_throttled_25_wrong_then_the_right_one_is_refused(requester, short_lock):
    client = Client()
    for attempt in range(25):
        client.post("/portal/login", {"username": requester.admin_username, "password": f"guess {attempt}"})

    response = client.post(
        "/portal/login", {"username": requester.admin_username, "password": requester.admin_password}
    )

    assert response.status_code == 429
    assert "Try again in" in response.content.decode() and response["Retry-After"]
    assert "_auth_user_id" not in client.session

    time.sleep(2.1)
    assert (
        client.post(
            "/portal/login", {"username": requester.admin_username, "password": requester.admin_password}
        ).status_code
        == 302
    )


def test_sign_in_is_throttled_per_address_across_accounts(worker, short_lock):
    client = Client()
    for attempt in range(20):
        client.post("/console/signin", {"username": f"someone-{attempt}", "password": "nope"})

    response = client.post("/console/signin", {"username": worker.username, "password": CONSOLE_PASSWORD})

    assert response.status_code == 429
    assert "for your network address" in response.content.decode()
    assert WORKER_SESSION_KEY not in client.session


def test_the_portal_and_the_console_count_apart(worker, requester, short_lock):
    client = Client()
    for attempt in range(5):
        client.post("/portal/login", {"username": worker.username, "password": f"nope {attempt}"})

    response = client.post("/console/signin", {"username": worker.username, "password": CONSOLE_PASSWORD})

    assert response.status_code == 302


def test_wrong_activation_tokens_lock_only_their_address(make_worker, short_lock):
    worker = make_worker("token-only-3")
    attacker, someone = Client(REMOTE_ADDR="203.0.113.9"), Client(REMOTE_ADDR="198.51.100.7")
    for attempt in range(20):
        attacker.post("/console/activate", {"token": f"gww_guess-{attempt}"})

    refused = attacker.post("/console/activate", {"token": worker.token})
    accepted = someone.post("/console/activate", {"token": worker.token})

    assert refused.status_code == 429 and "for your network address" in refused.content.decode()
    assert accepted.status_code == 302


def test_reset_requests_are_limited_per_address_not_for_everyone(worker, short_lock):
    Worker.objects.filter(pk=worker.pk).update(email="ada@example.com")
    flooder, owner = Client(REMOTE_ADDR="203.0.113.9"), Client(REMOTE_ADDR="198.51.100.7")
    for _ in range(21):
        flooder.post("/console/password/reset", {"email": "ada@example.com"})
    sent_to_flooder = len(mail.outbox)

    owner.post("/console/password/reset", {"email": "ada@example.com"})

    assert sent_to_flooder == 20
    assert len(mail.outbox) == 21
