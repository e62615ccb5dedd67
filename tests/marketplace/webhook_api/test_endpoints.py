"""Registering, reading, changing, disabling, deleting webhook endpoints and rotating their
secrets, through the real routes: the secret is shown at creation and rotation only, refused
input is a 400 naming the field with nothing changed, and another organization's endpoint is a 404."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from marketplace.encryption import decrypt_secret
from marketplace.events.endpoints import endpoint_secrets
from marketplace.models import WebhookEndpoint
from marketplace.services.webhook_endpoints import MAX_ENDPOINTS_PER_ORGANIZATION
from tests.support.factories import client_with

from .helpers import ENDPOINTS_URL, register

pytestmark = pytest.mark.django_db

URL = "http://127.0.0.1:9/hooks"  # allowed by the package's fixture; nothing is sent in these tests


def snapshot() -> list[tuple]:
    return list(
        WebhookEndpoint.objects.order_by("pk").values_list(
            "pk", "url", "events", "description", "is_active", "secret_encrypted", "previous_secret_encrypted"
        )
    )


# --- registering ---------------------------------------------------------------------------


def test_registering_answers_201_with_the_secret_shown_once(requester_client, requester):
    # when
    response = requester_client.post(
        ENDPOINTS_URL,
        {"url": URL, "events": ["task.completed", "assignment.approved"], "description": "pipeline"},
        format="json",
    )
    # then
    assert response.status_code == 201
    body = response.json()
    assert body["secret"].startswith("whsec_") and len(body["secret"]) > 40
    assert {key: body[key] for key in ("url", "events", "description", "is_active", "disabled_reason")} == {
        "url": URL,
        "events": ["task.completed", "assignment.approved"],
        "description": "pipeline",
        "is_active": True,
        "disabled_reason": None,
    }
    endpoint = WebhookEndpoint.objects.get(pk=body["id"])
    assert endpoint.organization_id == requester.organization.pk
    assert body["secret"] not in endpoint.secret_encrypted  # stored encrypted
    assert decrypt_secret(endpoint.secret_encrypted) == body["secret"]
    # and never again
    one = requester_client.get(f"{ENDPOINTS_URL}/{body['id']}").json()
    listed = requester_client.get(ENDPOINTS_URL).json()
    assert "secret" not in one and all("secret" not in item for item in listed["results"])
    assert body["secret"] not in str(one) + str(listed)


def test_an_idempotent_replay_of_a_registration_does_not_show_the_secret_again(requester_client):
    # given
    first = requester_client.post(
        ENDPOINTS_URL, {"url": URL, "events": ["*"]}, format="json", HTTP_IDEMPOTENCY_KEY="e1"
    )
    # when
    replay = requester_client.post(
        ENDPOINTS_URL, {"url": URL, "events": ["*"]}, format="json", HTTP_IDEMPOTENCY_KEY="e1"
    )
    # then
    assert (first.status_code, replay.status_code) == (201, 201)
    assert replay.json()["id"] == first.json()["id"] and replay["Idempotent-Replayed"] == "true"
    assert first.json()["secret"] and replay.json()["secret"] is None
    assert WebhookEndpoint.objects.count() == 1


@pytest.mark.parametrize(
    ("url", "allow_http", "says"),
    [
        ("ftp://127.0.0.1/hooks", True, "must use https:// or http://"),
        ("http://127.0.0.1:9/hooks", False, "must use https://"),
        ("https://user:secret@127.0.0.1/hooks", True, "must not carry credentials"),
        ("https://10.1.2.3/hooks", True, "a private address"),
        ("https://169.254.169.254/latest/meta-data", True, "a cloud metadata address"),
        ("https://[::1]/hooks", True, "a loopback address"),
        ("https://no-such-host.invalid/hooks", True, "does not resolve"),
        ("/relative/path", True, "must use https://"),
        ("", True, "is required"),
    ],
)
def test_a_url_webhooks_may_not_go_to_is_a_400_naming_url(requester_client, settings, url, allow_http, says):
    # given
    settings.WEBHOOK_ALLOW_HTTP = allow_http
    # when
    response = requester_client.post(ENDPOINTS_URL, {"url": url, "events": ["*"]}, format="json")
    # then
    assert response.status_code == 400
    error = response.json()["error"]
    assert list(error["fields"]) == ["url"] and says in error["fields"]["url"][0], error
    assert WebhookEndpoint.objects.count() == 0


@pytest.mark.parametrize(
    ("events", "says"),
    [
        (["task.finished"], "'task.finished' is not an event type"),
        ([], "must be a list of event types"),
        ("task.completed", "must be a list of event types"),
        ([3], "must be a list of event types"),
        (["task.completed", "task.completed"], "must not name an event type twice"),
        (["*", "task.completed"], 'send ["*"] alone'),
        (None, "must be a list of event types"),
    ],
)
def test_an_unknown_event_type_is_a_400_naming_events(requester_client, events, says):
    # when
    response = requester_client.post(ENDPOINTS_URL, {"url": URL, "events": events}, format="json")
    # then
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert list(fields) == ["events"] and says in fields["events"][0], fields
    assert WebhookEndpoint.objects.count() == 0


def test_missing_and_unknown_fields_are_named(requester_client):
    # when
    response = requester_client.post(ENDPOINTS_URL, {"secret": "mine", "description": "x" * 501}, format="json")
    # then
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "secret": ["is not a known field"],
        "url": ["is required"],
        "events": [response.json()["error"]["fields"]["events"][0]],
        "description": ["must be at most 500 characters"],
    }
    assert "must be a list of event types" in response.json()["error"]["fields"]["events"][0]
    assert WebhookEndpoint.objects.count() == 0


def test_a_body_that_is_not_an_object_is_a_400(requester_client):
    response = requester_client.post(ENDPOINTS_URL, [{"url": URL, "events": ["*"]}], format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"non_field_errors": ["must be an object"]}


def test_an_organization_has_at_most_20_endpoints(requester_client):
    # given
    for n in range(MAX_ENDPOINTS_PER_ORGANIZATION):
        register(requester_client, f"{URL}/{n}")
    # when
    response = requester_client.post(ENDPOINTS_URL, {"url": URL, "events": ["*"]}, format="json")
    # then
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "webhook_endpoint_limit"
    assert WebhookEndpoint.objects.count() == MAX_ENDPOINTS_PER_ORGANIZATION


# --- reading -------------------------------------------------------------------------------


def test_the_list_is_a_page_of_the_organizations_own_endpoints(requester_client, make_requester):
    # given
    other = client_with(make_requester().api_key)
    mine = [register(requester_client, f"{URL}/{n}")["id"] for n in range(3)]
    register(other, f"{URL}/theirs")
    # when
    first = requester_client.get(ENDPOINTS_URL, {"limit": 2}).json()
    second = requester_client.get(first["next"]).json()
    # then
    assert [item["id"] for item in first["results"] + second["results"]] == mine
    assert second["next"] is None


def test_another_organizations_endpoint_is_a_404_to_every_operation(requester_client, make_requester):
    # given
    theirs = register(client_with(make_requester().api_key), URL)
    before = snapshot()
    path = f"{ENDPOINTS_URL}/{theirs['id']}"
    # when
    responses = [
        requester_client.get(path),
        requester_client.patch(path, {"is_active": False}, format="json"),
        requester_client.delete(path),
        requester_client.post(f"{path}/rotate-secret", {}, format="json"),
        requester_client.get(f"{path}/deliveries"),
        requester_client.post(f"{path}/redeliver", {"since": "2026-01-01T00:00:00Z"}, format="json"),
    ]
    # then
    assert [response.status_code for response in responses] == [404] * 6
    assert {response.json()["error"]["code"] for response in responses} == {"not_found"}
    assert snapshot() == before


def test_a_worker_token_is_refused(make_worker):
    response = make_worker().client.get(ENDPOINTS_URL)
    assert response.status_code == 403


# --- changing ------------------------------------------------------------------------------


def test_patch_changes_only_the_fields_sent(requester_client):
    # given
    endpoint = register(requester_client, URL, ["task.completed"], description="first")
    # when
    response = requester_client.patch(
        f"{ENDPOINTS_URL}/{endpoint['id']}",
        {"url": f"{URL}/v2", "events": ["assignment.submitted", "assignment.returned"]},
        format="json",
    )
    # then
    assert response.status_code == 200
    body = response.json()
    assert (body["url"], body["events"], body["description"]) == (
        f"{URL}/v2",
        ["assignment.submitted", "assignment.returned"],
        "first",
    )
    assert "secret" not in body
    stored = WebhookEndpoint.objects.get(pk=endpoint["id"])
    assert (stored.url, stored.events, decrypt_secret(stored.secret_encrypted)) == (
        f"{URL}/v2",
        ["assignment.submitted", "assignment.returned"],
        endpoint["secret"],
    )


def test_disabling_and_enabling_an_endpoint(requester_client):
    # given
    endpoint = register(requester_client, URL)
    path = f"{ENDPOINTS_URL}/{endpoint['id']}"
    # when
    disabled = requester_client.patch(path, {"is_active": False}, format="json").json()
    disabled_again = requester_client.patch(path, {"is_active": False}, format="json").json()
    # then
    assert (disabled["is_active"], disabled["disabled_reason"]) == (False, "requester")
    assert disabled["disabled_at"] is not None and disabled_again["disabled_at"] == disabled["disabled_at"]
    # when
    enabled = requester_client.patch(path, {"is_active": True}, format="json").json()
    # then
    assert (enabled["is_active"], enabled["disabled_reason"], enabled["disabled_at"]) == (True, None, None)


def test_enabling_an_endpoint_the_sender_disabled_forgets_its_failing_streak(requester_client):
    # given: the receiver answered 410 (the sender disabled it), after failing for a while
    endpoint = register(requester_client, URL)
    WebhookEndpoint.objects.filter(pk=endpoint["id"]).update(
        is_active=False,
        disabled_reason=WebhookEndpoint.DisabledReason.GONE,
        disabled_at=timezone.now(),
        failing_since=timezone.now() - timedelta(hours=5),
    )
    assert requester_client.get(f"{ENDPOINTS_URL}/{endpoint['id']}").json()["disabled_reason"] == "gone"
    # when
    response = requester_client.patch(f"{ENDPOINTS_URL}/{endpoint['id']}", {"is_active": True}, format="json")
    # then
    assert response.status_code == 200
    stored = WebhookEndpoint.objects.get(pk=endpoint["id"])
    assert (stored.is_active, stored.disabled_reason, stored.disabled_at, stored.failing_since) == (
        True,
        "",
        None,
        None,
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"url": "https://10.0.0.8/hooks"}, "url"),
        ({"url": None}, "url"),
        ({"url": ""}, "url"),
        ({"events": []}, "events"),
        ({"events": ["task.done"]}, "events"),
        ({"is_active": "no"}, "is_active"),
        ({"description": 5}, "description"),
        ({"secret": "whsec_mine"}, "secret"),
    ],
)
def test_a_refused_change_is_a_400_naming_the_field_and_changes_nothing(requester_client, change, field):
    # given
    endpoint = register(requester_client, URL, ["task.completed"])
    before = snapshot()
    # when
    response = requester_client.patch(f"{ENDPOINTS_URL}/{endpoint['id']}", change, format="json")
    # then
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == [field]
    assert snapshot() == before


def test_an_empty_patch_changes_nothing(requester_client):
    endpoint = register(requester_client, URL)
    before = snapshot()
    response = requester_client.patch(f"{ENDPOINTS_URL}/{endpoint['id']}", {}, format="json")
    assert response.status_code == 200 and response.json()["url"] == URL
    assert snapshot() == before


# --- deleting ------------------------------------------------------------------------------


def test_deleting_an_endpoint(requester_client):
    # given
    kept = register(requester_client, f"{URL}/kept")
    gone = register(requester_client, f"{URL}/gone")
    # when
    response = requester_client.delete(f"{ENDPOINTS_URL}/{gone['id']}")
    # then
    assert response.status_code == 204 and response.content == b""
    assert requester_client.get(f"{ENDPOINTS_URL}/{gone['id']}").status_code == 404
    assert requester_client.delete(f"{ENDPOINTS_URL}/{gone['id']}").status_code == 404
    assert list(WebhookEndpoint.objects.values_list("pk", flat=True)) == [kept["id"]]


# --- rotating the secret -------------------------------------------------------------------


def test_rotating_shows_a_new_secret_once_and_both_sign_during_the_overlap(requester_client):
    # given
    endpoint = register(requester_client, URL)
    path = f"{ENDPOINTS_URL}/{endpoint['id']}"
    # when
    response = requester_client.post(f"{path}/rotate-secret", {"overlap_seconds": 3600}, format="json")
    # then
    assert response.status_code == 200
    rotated = response.json()
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != endpoint["secret"]
    expires = timezone.datetime.fromisoformat(rotated["previous_secret_expires_at"])
    assert timedelta(minutes=59) < expires - timezone.now() <= timedelta(hours=1)
    stored = WebhookEndpoint.objects.get(pk=endpoint["id"])
    assert endpoint_secrets(stored) == [rotated["secret"], endpoint["secret"]]
    assert endpoint_secrets(stored, now=expires + timedelta(seconds=1)) == [rotated["secret"]]
    read = requester_client.get(path).json()
    assert "secret" not in read and read["previous_secret_expires_at"] == rotated["previous_secret_expires_at"]


def test_rotating_with_the_default_overlap_keeps_the_old_secret_a_day(requester_client):
    endpoint = register(requester_client, URL)
    rotated = requester_client.post(f"{ENDPOINTS_URL}/{endpoint['id']}/rotate-secret").json()
    expires = timezone.datetime.fromisoformat(rotated["previous_secret_expires_at"])
    assert timedelta(hours=23, minutes=59) < expires - timezone.now() <= timedelta(hours=24)


def test_rotating_with_no_overlap_ends_the_old_secret_at_once(requester_client):
    endpoint = register(requester_client, URL)
    rotated = requester_client.post(
        f"{ENDPOINTS_URL}/{endpoint['id']}/rotate-secret", {"overlap_seconds": 0}, format="json"
    ).json()
    assert rotated["previous_secret_expires_at"] is None
    assert endpoint_secrets(WebhookEndpoint.objects.get(pk=endpoint["id"])) == [rotated["secret"]]


def test_rotating_twice_keeps_only_the_newest_two_secrets(requester_client):
    endpoint = register(requester_client, URL)
    path = f"{ENDPOINTS_URL}/{endpoint['id']}/rotate-secret"
    second = requester_client.post(path).json()
    third = requester_client.post(path).json()
    assert endpoint_secrets(WebhookEndpoint.objects.get(pk=endpoint["id"])) == [third["secret"], second["secret"]]


@pytest.mark.parametrize("overlap", [-1, 7 * 86400 + 1, "3600", True, 1.5])
def test_a_bad_overlap_is_a_400_naming_it_and_keeps_the_secret(requester_client, overlap):
    # given
    endpoint = register(requester_client, URL)
    before = snapshot()
    # when
    response = requester_client.post(
        f"{ENDPOINTS_URL}/{endpoint['id']}/rotate-secret", {"overlap_seconds": overlap}, format="json"
    )
    # then
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["overlap_seconds"]
    assert snapshot() == before


def test_an_idempotent_replay_of_a_rotation_rotates_once_and_hides_the_secret(requester_client):
    endpoint = register(requester_client, URL)
    path = f"{ENDPOINTS_URL}/{endpoint['id']}/rotate-secret"
    first = requester_client.post(path, {}, format="json", HTTP_IDEMPOTENCY_KEY="r1").json()
    replay = requester_client.post(path, {}, format="json", HTTP_IDEMPOTENCY_KEY="r1").json()
    assert first["secret"] and replay["secret"] is None
    assert endpoint_secrets(WebhookEndpoint.objects.get(pk=endpoint["id"]))[0] == first["secret"]
