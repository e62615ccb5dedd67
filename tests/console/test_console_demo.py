"""The console's demo login of ./scripts/serve: a worker who signs in with the printed
password and finds work of several task types; a second run prints the same login."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.test import Client

from marketplace.models import Worker

pytestmark = pytest.mark.django_db


def test_the_console_demo_login_works_and_survives_a_second_run(settings, tmp_path, storage_root):
    settings.DATA_DIR = tmp_path
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_labeling_demo", stdout=io.StringIO())
    first, again = io.StringIO(), io.StringIO()

    call_command("seed_console_demo", stdout=first)
    call_command("seed_console_demo", stdout=again)

    login = json.loads(first.getvalue())["console"]
    assert json.loads(again.getvalue())["console"] == login
    assert Worker.objects.filter(username=login["username"]).count() == 1
    client = Client()
    assert (
        client.post("/console/signin", {"username": login["username"], "password": login["password"]}).status_code
        == 302
    )
    groups = client.get("/api/v1/worker/available-work").json()["results"]
    task_types = {group["task_type"] for group in groups}
    assert len(groups) >= 1
    from marketplace.models import Task

    open_types = set(Task.objects.filter(status="open").values_list("task_type", flat=True))
    assert {
        "image_classification",
        "bounding_box",
        "semantic_segmentation",
        "named_entity_recognition",
        "text_multilabel",
        "custom",
    } <= open_types
    assert task_types <= open_types


def test_a_password_changed_in_the_console_is_not_printed_again(settings, tmp_path, storage_root):
    from marketplace.services.worker_accounts import worker_password_set

    settings.DATA_DIR = tmp_path
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_labeling_demo", stdout=io.StringIO())
    first, again = io.StringIO(), io.StringIO()
    call_command("seed_console_demo", stdout=first)
    login = json.loads(first.getvalue())["console"]
    worker_password_set(worker=Worker.objects.get(username=login["username"]), password="the worker's own 2026")

    call_command("seed_console_demo", stdout=again)

    printed = json.loads(again.getvalue())["console"]
    assert printed["password"] is None and "/console/activate" in printed["password_note"]
    assert printed["username"] == login["username"] and printed["token"] == login["token"]
