"""Running ./scripts/serve again (issue 21): ``seed_demo`` no longer prints an admin password
that stopped working at the forced change of the first sign-in, but how to set a new one; and
``demo.env`` gives a shell the demo's API key and a worker's token."""

from __future__ import annotations

import io
import json
import stat

import pytest
from django.core.management import call_command
from django.test import Client

pytestmark = pytest.mark.django_db


def seed(settings) -> dict:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return json.loads(out.getvalue())


def test_a_password_changed_at_first_sign_in_is_no_longer_printed(settings, tmp_path):
    # given the demo, whose requester admin signs in and changes the password as the portal makes them
    settings.DATA_DIR = tmp_path
    first = seed(settings)
    admin = first["requester"]
    portal = Client()
    assert portal.login(username=admin["admin_username"], password=admin["admin_password"])
    changed = portal.post(
        "/portal/password/change",
        {
            "old_password": admin["admin_password"],
            "new_password1": "a brand new secret 123",
            "new_password2": "a brand new secret 123",
        },
    )
    assert changed.status_code == 302
    # when ./scripts/serve runs again
    again = seed(settings)
    # then the requester's old password is gone, with how to set a new one; the vendor's, still
    # valid, is printed as before; the file no longer holds the dead password either
    assert again["requester"]["admin_password"] is None
    assert again["requester"]["admin_password_note"] == (
        "changed (the portal asks for a new one at first sign-in); to set another: "
        f".venv/bin/python manage.py changepassword {admin['admin_username']}"
    )
    assert again["vendor"] == first["vendor"]
    assert again["requester"]["api_key"] == first["requester"]["api_key"]
    assert admin["admin_password"] not in (tmp_path / "demo-credentials.json").read_text()
    # and the note is true: the old password fails, the new one signs in
    assert not Client().login(username=admin["admin_username"], password=admin["admin_password"])
    assert Client().login(username=admin["admin_username"], password="a brand new secret 123")


def test_an_unchanged_password_is_printed_again_unchanged(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    first = seed(settings)
    assert seed(settings) == first
    assert "admin_password_note" not in first["requester"]


def test_demo_env_holds_the_api_key_and_a_workers_token_for_a_shell(settings, tmp_path):
    # when
    settings.DATA_DIR = tmp_path
    credentials = seed(settings)
    # then
    env_file = tmp_path / "demo.env"
    exported = dict(
        line.split("  #")[0].removeprefix("export ").split("=", 1)
        for line in env_file.read_text().splitlines()
        if line.startswith("export ")
    )
    assert exported == {
        "GROUNDWORK_API_KEY": credentials["requester"]["api_key"],
        "GROUNDWORK_TOKEN": credentials["workers"][0]["token"],
    }
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "demo-credentials.json").stat().st_mode) == 0o600
    # and a data dir from before demo.env existed gets one on the next run
    env_file.unlink()
    seed(settings)
    assert env_file.is_file()
