"""Requester portal pages for webhooks: adding an endpoint (the secret shown once), refusals on
their fields, disabling, enabling, deleting, rotating the secret, the delivery log with its
attempts, and redelivery; each admin sees only its own organization's endpoints."""

from __future__ import annotations

import re

import pytest

from marketplace.encryption import decrypt_secret
from marketplace.events.endpoints import endpoint_secrets
from marketplace.events.outbox import forget_subscriptions
from marketplace.models import Delivery, Event, WebhookEndpoint
from marketplace.services.webhook_endpoints import webhook_endpoint_create
from tests.marketplace.events.receiver import Receiver, Reply
from tests.marketplace.webhook_api.helpers import emit, send_now

from .requester_factories import HOSTILE, admin_client

pytestmark = pytest.mark.django_db

PAGE = "/portal/requester/webhooks"
URL = "http://127.0.0.1:9/hooks"


@pytest.fixture(autouse=True)
def local_receivers(settings):
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    forget_subscriptions()
    yield
    forget_subscriptions()


@pytest.fixture
def acme(make_requester):
    return make_requester("Acme ML")


def html(response) -> str:
    return response.content.decode()


def secret_on(page: str) -> str | None:
    found = re.search(r'id="secret-value">(whsec_[^<]+)<', page)
    return found.group(1) if found else None


def endpoint_of(created, url: str = URL, events: list[str] | None = None) -> WebhookEndpoint:
    return webhook_endpoint_create(organization=created.organization, url=url, events=events or ["*"]).endpoint


# --- the list and the add form ------------------------------------------------------------


def test_the_page_without_endpoints_says_how_to_add_one(acme):
    page = admin_client(acme).get(PAGE)
    assert page.status_code == 200 and "No webhook endpoints yet" in html(page)


def test_adding_an_endpoint_shows_its_secret_once(acme):
    # given
    client = admin_client(acme)
    # when
    page = client.post(PAGE, {"url": URL, "events": ["task.completed", "assignment.approved"], "description": "ml"})
    # then
    assert page.status_code == 200
    endpoint = WebhookEndpoint.objects.get()
    secret = secret_on(html(page))
    assert secret is not None and decrypt_secret(endpoint.secret_encrypted) == secret
    assert (endpoint.organization_id, endpoint.url, endpoint.events, endpoint.description) == (
        acme.organization.pk,
        URL,
        ["task.completed", "assignment.approved"],
        "ml",
    )
    # and never again
    again = html(client.get(PAGE))
    assert URL in again and secret not in again and secret_on(again) is None
    assert secret not in html(client.get(f"{PAGE}/{endpoint.pk}"))


def test_all_events_ticked_with_others_means_all_events(acme):
    admin_client(acme).post(PAGE, {"url": URL, "events": ["*", "task.completed"]})
    assert WebhookEndpoint.objects.get().events == ["*"]


@pytest.mark.parametrize(
    ("form", "field", "says"),
    [
        ({"url": "https://10.0.0.1/hooks", "events": ["*"]}, "url", "a private address"),
        ({"url": "", "events": ["*"]}, "url", "is required"),
        ({"url": URL, "events": []}, "events", "Choose at least one event type, or all events."),
        ({"url": URL, "events": ["task.finished"]}, "events", "Select a valid choice"),
        ({"url": URL, "events": ["*"], "description": "x" * 501}, "description", "at most 500 characters"),
    ],
)
def test_a_refused_endpoint_is_shown_on_its_field_and_nothing_is_added(acme, form, field, says):
    # when
    page = admin_client(acme).post(PAGE, form)
    # then
    assert page.status_code == 400
    assert says in " ".join(str(error) for error in page.context["form"].errors[field])
    assert f'id="field-{field}"' in html(page) and "has-error" in html(page)
    assert WebhookEndpoint.objects.count() == 0
    assert secret_on(html(page)) is None


def test_the_list_shows_status_and_counts_and_only_the_organizations_endpoints(acme, make_requester):
    # given
    mine = endpoint_of(acme, events=["task.completed"])
    WebhookEndpoint.objects.filter(pk=mine.pk).update(is_active=False, disabled_reason="gone")
    endpoint_of(make_requester("Other Co"), url="http://127.0.0.1:9/theirs")
    # when
    page = admin_client(acme).get(PAGE)
    # then
    body = html(page)
    assert URL in body and "/theirs" not in body
    assert "Disabled: the receiver answered 410 Gone" in body and ">Enable<" in body
    assert [endpoint.pk for endpoint in page.context["endpoints"]] == [mine.pk]


def test_a_hostile_description_and_url_are_inert(acme):
    endpoint = endpoint_of(acme, url=f"{URL}?q=<b>x</b>")
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(description=HOSTILE)
    for path in (PAGE, f"{PAGE}/{endpoint.pk}"):
        body = html(admin_client(acme).get(path))
        assert HOSTILE not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body and "<b>x</b>" not in body


# --- actions ----------------------------------------------------------------------------


def test_disabling_and_enabling_from_the_list(acme):
    # given
    endpoint = endpoint_of(acme)
    client = admin_client(acme)
    # when
    disabled = client.post(f"{PAGE}/{endpoint.pk}/active", {"active": "0", "next": "list"})
    # then
    assert disabled.status_code == 302 and disabled["Location"] == PAGE
    endpoint.refresh_from_db()
    assert (endpoint.is_active, endpoint.disabled_reason) == (False, "requester")
    assert "Disabled by you" in html(client.get(PAGE))
    # when
    client.post(f"{PAGE}/{endpoint.pk}/active", {"active": "1"})
    # then
    endpoint.refresh_from_db()
    assert (endpoint.is_active, endpoint.disabled_reason) == (True, "")


def test_deleting_an_endpoint(acme):
    endpoint = endpoint_of(acme)
    response = admin_client(acme).post(f"{PAGE}/{endpoint.pk}/delete")
    assert response.status_code == 302 and response["Location"] == PAGE
    assert WebhookEndpoint.objects.count() == 0


def test_rotating_shows_the_new_secret_once_with_the_overlap(acme):
    # given
    endpoint = endpoint_of(acme)
    old = endpoint_secrets(endpoint)[0]
    client = admin_client(acme)
    # when
    page = client.post(f"{PAGE}/{endpoint.pk}/rotate-secret", {"overlap_seconds": "3600"})
    # then
    assert page.status_code == 200
    new = secret_on(html(page))
    endpoint.refresh_from_db()
    assert new is not None and endpoint_secrets(endpoint) == [new, old]
    assert "every delivery is signed with both" in html(page)
    again = html(client.get(f"{PAGE}/{endpoint.pk}"))
    assert new not in again and "A secret rotation is under way" in again


def test_actions_are_post_only_and_another_organizations_endpoint_is_a_404(acme, make_requester):
    # given
    theirs = endpoint_of(make_requester("Other Co"))
    client = admin_client(acme)
    # then
    assert client.get(f"{PAGE}/{theirs.pk}/delete").status_code == 405
    for path in ("", "/active", "/delete", "/rotate-secret", "/redeliver"):
        method = client.get if path == "" else client.post
        assert method(f"{PAGE}/{theirs.pk}{path}").status_code == 404, path
    theirs.refresh_from_db()
    assert theirs.is_active and WebhookEndpoint.objects.count() == 1


def test_a_vendor_admin_gets_the_404_page(vendor):
    assert admin_client(vendor.created).get(PAGE).status_code == 404


# --- the endpoint's page: deliveries and redelivery ------------------------------------------


def test_the_endpoint_page_lists_deliveries_with_their_attempts_and_redelivers_one(acme):
    with Receiver() as receiver:
        # given: one event delivered after a failure, one still failing
        endpoint = endpoint_of(acme, url=receiver.url())
        says = b"receiver says hi"
        receiver.script("/hook", Reply(500, body=says), Reply(200, body=says), Reply(503, body=says))
        emit(acme.organization.pk, key="task:1", id=1)
        send_now(endpoint.pk)
        Delivery.objects.update(next_attempt_at=Delivery.objects.get().created_at)
        send_now(endpoint.pk)
        emit(acme.organization.pk, key="task:2", id=2)
        send_now(endpoint.pk)
        client = admin_client(acme)
        # when
        page = client.get(f"{PAGE}/{endpoint.pk}")
        # then
        body = html(page)
        first, second = Event.objects.order_by("pk")
        assert [d.event.public_id for d in page.context["deliveries"]] == [second.public_id, first.public_id]
        assert page.context["counts"] == {"pending": 1, "succeeded": 1, "failed": 0, "cancelled": 0}
        assert "HTTP 500" in body and "HTTP 200" in body and "HTTP 503" in body and "receiver says hi" in body
        assert "2 attempts" in body and "Delivered" in body
        # when: the delivered one is sent again
        redeliver = client.post(f"{PAGE}/{endpoint.pk}/events/{first.public_id}/redeliver")
        # then
        assert redeliver.status_code == 302
        assert Delivery.objects.get(event=first).status == Delivery.Status.PENDING
        assert "will be sent again" in html(client.get(f"{PAGE}/{endpoint.pk}"))


def test_redelivering_since_a_time(acme):
    # given
    endpoint = endpoint_of(acme)
    emit(acme.organization.pk)
    client = admin_client(acme)
    # when
    bad = client.post(f"{PAGE}/{endpoint.pk}/redeliver", {"since": "last week"})
    good = client.post(f"{PAGE}/{endpoint.pk}/redeliver", {"since": "2026-01-01T00:00"})
    # then
    assert bad.status_code == 400 and bad.context["since_form"].errors["since"]
    assert good.status_code == 302
    assert Delivery.objects.get().status == Delivery.Status.PENDING
    assert "1 event since 2026-01-01 00:00 UTC will be sent again." in html(client.get(f"{PAGE}/{endpoint.pk}"))


def test_redelivering_to_a_disabled_endpoint_says_to_enable_it(acme):
    endpoint = endpoint_of(acme)
    emit(acme.organization.pk)
    client = admin_client(acme)
    client.post(f"{PAGE}/{endpoint.pk}/active", {"active": "0"})
    page = client.post(f"{PAGE}/{endpoint.pk}/redeliver", {"since": "2026-01-01T00:00"})
    assert page.status_code == 400 and "enable it before redelivering" in html(page)
    assert Delivery.objects.count() == 0
