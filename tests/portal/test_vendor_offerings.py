"""The vendor's offerings and subscriptions pages: publish, edit and withdraw with the service's
errors on the form; accept, decline and cancel subscriptions; capacity in use; tenancy by URL
guessing; hostile requester names."""

from __future__ import annotations

import re

import pytest

from marketplace.models import VendorOffering, VendorSubscription
from marketplace.services.organizations import requester_create
from marketplace.services.vendors import subscription_request

from .vendor_world import make_vendor, make_worker, page_text, post_job, subscribe

pytestmark = pytest.mark.django_db

MISSING = 987_654_321
SCRIPT = "<script>alert(1)</script>"


PUBLISH = {
    "name": "Careful German text",
    "description": "Native speakers",
    "task_types": ["text_classification"],
    "languages": "de, en-gb",
    "price": "0.08",
    "capacity": "5",
}


def test_publishing_an_offering_lists_it_with_its_capacity(vendor):
    client = vendor.client()
    # when
    response = client.post("/portal/vendor/offerings", PUBLISH)
    # then
    assert response.status_code == 302
    offering = VendorOffering.objects.get(vendor=vendor.organization, name="Careful German text")
    assert (offering.languages, offering.price_micros, offering.capacity, offering.task_types) == (
        ["de", "en-GB"],
        80_000,
        5,
        ["text_classification"],
    )
    html = client.get("/portal/vendor/offerings").content.decode()
    assert "Careful German text" in html and "$0.08" in html and "0 / 5" in html


def test_the_services_errors_are_shown_on_the_publish_form_and_nothing_is_created(vendor):
    before = VendorOffering.objects.count()
    bad = {**PUBLISH, "price": "0.0000001", "languages": "xx-yy-zz"}
    response = vendor.client().post("/portal/vendor/offerings", bad)
    assert response.status_code == 400
    html = response.content.decode()
    assert "must have at most 6 fractional digits" in html
    assert "is not a language tag" in html
    assert VendorOffering.objects.count() == before


def test_editing_an_offering_changes_it_and_errors_stay_on_the_form(vendor):
    client = vendor.client()
    url = f"/portal/vendor/offerings/{vendor.offering.pk}"
    assert 'value="0.05"' in client.get(url).content.decode()
    # when
    bad = client.post(url, {**PUBLISH, "capacity": "0"})
    good = client.post(url, {**PUBLISH, "price": "0.07", "capacity": "9"})
    # then
    assert bad.status_code == 400 and "Ensure this value is greater than or equal to 1" in bad.content.decode()
    assert good.status_code == 302
    vendor.offering.refresh_from_db()
    assert (vendor.offering.price_micros, vendor.offering.capacity, vendor.offering.name) == (
        70_000,
        9,
        "Careful German text",
    )


def test_withdrawing_an_offering_declines_pending_subscriptions(vendor, requester):
    subscription, _ = subscription_request(requester=requester.organization, offering=vendor.offering)
    response = vendor.client().post(f"/portal/vendor/offerings/{vendor.offering.pk}/withdraw")
    assert response.status_code == 302
    vendor.offering.refresh_from_db()
    subscription.refresh_from_db()
    assert vendor.offering.is_active is False
    assert subscription.status == VendorSubscription.Status.DECLINED


def test_accepting_and_declining_subscriptions(vendor, make_requester):
    first, second = make_requester("First Co"), make_requester("Second Co")
    accepted, _ = subscription_request(requester=first.organization, offering=vendor.offering)
    declined, _ = subscription_request(requester=second.organization, offering=vendor.offering)
    client = vendor.client()
    html = client.get("/portal/vendor/subscriptions").content.decode()
    assert "First Co" in html and "Second Co" in html and html.count(">Accept</button>") == 2
    # when
    assert client.post(f"/portal/vendor/subscriptions/{accepted.pk}/accept").status_code == 302
    assert client.post(f"/portal/vendor/subscriptions/{declined.pk}/decline").status_code == 302
    # then
    accepted.refresh_from_db()
    declined.refresh_from_db()
    assert (accepted.status, declined.status) == ("active", "declined")
    # when: accepting a declined one is a conflict, shown as a message (not a 500)
    response = client.post(f"/portal/vendor/subscriptions/{declined.pk}/accept", follow=True)
    # then
    assert response.status_code == 200
    assert "the subscription is declined" in response.content.decode()
    declined.refresh_from_db()
    assert declined.status == "declined"


def test_cancelling_an_active_subscription(vendor, requester):
    subscribe(requester, vendor)
    subscription = VendorSubscription.objects.get(requester=requester.organization)
    assert vendor.client().post(f"/portal/vendor/subscriptions/{subscription.pk}/cancel").status_code == 302
    subscription.refresh_from_db()
    assert subscription.status == VendorSubscription.Status.CANCELLED


def test_capacity_in_use_counts_live_assignments_on_the_team(vendor, requester, storage_root):
    subscribe(requester, vendor)
    post_job(requester, vendor, storage_root)
    make_worker(vendor).client.post("/api/v1/worker/tasks/next")
    client = vendor.client()
    assert "1 / 50" in client.get("/portal/vendor/offerings").content.decode()
    assert "1 / 50" in re.search(
        r'<table id="capacity">.*?</table>', client.get("/portal/vendor/").content.decode(), re.S
    ).group(0)


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "offerings/{offering}"),
        ("post", "offerings/{offering}"),
        ("post", "offerings/{offering}/withdraw"),
        ("post", "subscriptions/{subscription}/accept"),
        ("post", "subscriptions/{subscription}/decline"),
        ("post", "subscriptions/{subscription}/cancel"),
    ],
)
def test_another_vendors_offering_or_subscription_is_the_same_404_as_a_missing_one(vendor, requester, method, url):
    # given
    subscription, _ = subscription_request(requester=requester.organization, offering=vendor.offering)
    other = make_vendor("Other vendor", team_name="Other team").client()
    send = getattr(other, method)
    # when
    foreign = send("/portal/vendor/" + url.format(offering=vendor.offering.pk, subscription=subscription.pk), PUBLISH)
    missing = send("/portal/vendor/" + url.format(offering=MISSING, subscription=MISSING), PUBLISH)
    # then
    assert foreign.status_code == missing.status_code == 404
    assert page_text(foreign) == page_text(missing)
    vendor.offering.refresh_from_db()
    subscription.refresh_from_db()
    assert (vendor.offering.name, vendor.offering.is_active, subscription.status) == ("Acme text team", True, "pending")


def test_the_lists_show_only_the_vendors_own(vendor, requester):
    subscription_request(requester=requester.organization, offering=vendor.offering)
    other = make_vendor("Other vendor", team_name="Other team").client()
    assert "Acme text team" not in other.get("/portal/vendor/offerings").content.decode()
    assert requester.organization.name not in other.get("/portal/vendor/subscriptions").content.decode()


def test_a_hostile_requester_name_is_escaped_on_the_subscriptions_page(vendor):
    hostile = requester_create(name=SCRIPT)
    subscription_request(requester=hostile.organization, offering=vendor.offering)
    html = vendor.client().get("/portal/vendor/subscriptions").content.decode()
    assert SCRIPT not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
