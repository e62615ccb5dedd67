"""The demo data of ./scripts/serve: created once, its credentials work, and the vendor team
holds work the demo requester posted to it through its subscription."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from marketplace.models import Task, VendorSubscription
from tests.support.factories import client_with

pytestmark = pytest.mark.django_db


def test_seed_demo_once_then_the_same_credentials(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    first, again = io.StringIO(), io.StringIO()
    call_command("seed_demo", stdout=first)
    call_command("seed_demo", stdout=again)
    credentials = json.loads(first.getvalue())
    assert json.loads(again.getvalue()) == credentials
    vendor = credentials["vendor"]
    assert VendorSubscription.objects.get().status == "active"
    assert Task.objects.filter(workteam_id=vendor["workteam_id"]).count() == 4
    claimed = client_with(vendor["worker"]["token"]).post("/api/v1/worker/tasks/next")
    assert claimed.status_code == 200 and claimed.json()["title"].startswith("Vendor transcription")
    balance = client_with(credentials["requester"]["api_key"]).get("/api/v1/balance")
    assert balance.status_code == 200
