"""Portal sign-in: admins only, the forced password change, password reset by email."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from marketplace.services.organizations import requester_create, vendor_create

from .conftest import signed_in

pytestmark = pytest.mark.django_db


def test_pages_need_a_sign_in():
    response = Client().get("/portal/vendor/")
    assert response.status_code == 302 and response["Location"].startswith("/portal/login")


def test_first_sign_in_forces_a_password_change_then_lets_the_admin_in():
    vendor = vendor_create(name="Acme Labeling")
    client = signed_in(vendor.admin_username, vendor.admin_password, password_changed=False)
    response = client.get("/portal/vendor/")
    assert response.status_code == 302 and response["Location"] == "/portal/password/change"
    response = client.post(
        "/portal/password/change",
        {
            "old_password": vendor.admin_password,
            "new_password1": "a fresh long secret 42",
            "new_password2": "a fresh long secret 42",
        },
    )
    assert response.status_code == 302
    page = client.get("/portal/vendor/")
    assert page.status_code == 200 and "Acme Labeling" in page.content.decode()


def test_home_sends_each_kind_to_its_own_dashboard_and_not_the_other():
    vendor = vendor_create(name="V")
    requester = requester_create(name="R")
    vendor_client = signed_in(vendor.admin_username, vendor.admin_password)
    requester_client = signed_in(requester.admin_username, requester.admin_password)
    assert vendor_client.get("/portal/")["Location"] == "/portal/vendor/"
    assert requester_client.get("/portal/")["Location"] == "/portal/requester/"
    assert vendor_client.get("/portal/requester/").status_code == 404
    assert requester_client.get("/portal/vendor/").status_code == 404


def test_a_user_without_an_admin_membership_is_refused(django_user_model):
    django_user_model.objects.create_user(username="stranger", password="pw-pw-pw-pw-123")
    client = Client()
    client.login(username="stranger", password="pw-pw-pw-pw-123")
    assert client.get("/portal/vendor/").status_code == 403


def test_password_reset_by_email_sets_a_new_password_once():
    vendor = vendor_create(name="V")
    client = signed_in(vendor.admin_username, vendor.admin_password)
    assert client.post("/portal/account", {"email": "ops@vendor.example"}).status_code == 302
    anonymous = Client()
    assert anonymous.post("/portal/password/reset", {"email": "ops@vendor.example"}).status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ops@vendor.example"]
    link = re.search(r"https?://[^/]+(/portal/password/reset/\S+)", mail.outbox[0].body).group(1)
    form_page = anonymous.get(link, follow=True)
    set_url = form_page.redirect_chain[-1][0] if form_page.redirect_chain else link
    new_password = "another long secret 77"
    done = anonymous.post(set_url, {"new_password1": new_password, "new_password2": new_password})
    assert done.status_code == 302
    assert Client().login(username=vendor.admin_username, password="another long secret 77")
    assert anonymous.get(link, follow=True).context["validlink"] is False


def test_forms_are_csrf_protected():
    vendor = vendor_create(name="V")
    client = Client(enforce_csrf_checks=True)
    response = client.post("/portal/login", {"username": vendor.admin_username, "password": vendor.admin_password})
    assert response.status_code == 403
