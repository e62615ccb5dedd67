"""The worker's locale (the system ``locale`` qualification): set at sign-up or by the operator
command, shown in ``me``."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from marketplace.models import Worker
from tests.support.factories import client_with

pytestmark = pytest.mark.django_db


def test_signup_takes_a_locale_in_any_case_and_me_shows_it_upper_case():
    # when
    response = APIClient().post("/api/v1/worker/signup", {"username": "amelie", "locale": "fr"}, format="json")
    # then
    assert response.status_code == 201
    me = client_with(response.json()["token"]).get("/api/v1/worker/me").json()
    assert me["locale"] == "FR"
    assert Worker.objects.get().locale == "FR"


def test_signup_without_a_locale_has_none():
    response = APIClient().post("/api/v1/worker/signup", {"username": "nobody"}, format="json")
    assert client_with(response.json()["token"]).get("/api/v1/worker/me").json()["locale"] is None


@pytest.mark.parametrize("locale", ["XX", "USA", "", 1, ["US"]])
def test_a_bad_locale_is_a_400_naming_it_and_creates_nobody(locale):
    response = APIClient().post("/api/v1/worker/signup", {"username": "bad-locale", "locale": locale}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "locale": ['must be an ISO 3166-1 alpha-2 country code, such as "US"']
    }
    assert Worker.objects.count() == 0


def test_create_worker_takes_a_locale():
    out = io.StringIO()
    call_command("create_worker", "kiri", "--locale", "NZ", stdout=out)
    printed = json.loads(out.getvalue())
    assert Worker.objects.get(pk=printed["worker_id"]).locale == "NZ"
    with pytest.raises(CommandError):
        call_command("create_worker", "bad", "--locale", "ZZ", stdout=io.StringIO())
    assert Worker.objects.count() == 1
