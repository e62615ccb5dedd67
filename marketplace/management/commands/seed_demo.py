"""Demo data for the embedded default: a requester, a few workers, a private workteam, a vendor
with an offering the requester subscribes to, tasks.

Credentials are shown once by design, so the first run writes them to
``$GROUNDWORK_DATA_DIR/demo-credentials.json`` (and the requester's API key and a worker's token
to ``demo.env``, for a shell: README "Quick start") and later runs print that file again, less
any admin password that no longer works (changed at first sign-in), with how to set a new one.
"""

import json
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from marketplace.inputs.tasks import task_spec
from marketplace.money import MICROS_PER_DOLLAR
from marketplace.services.ledger import deposit
from marketplace.services.organizations import requester_create, vendor_create
from marketplace.services.tasks import tasks_post
from marketplace.services.vendors import offering_publish, subscription_accept, subscription_request
from marketplace.services.workers import vendor_worker_create, worker_create
from marketplace.services.workteams import invitation_accept, invitation_create, workteam_create

DEMO_ANSWER_SCHEMA = {
    "type": "object",
    "properties": {"label": {"enum": ["cat", "dog"]}},
    "required": ["label"],
}


class Command(BaseCommand):
    help = (
        "Create demo data once (a requester, 3 workers, a private workteam, a vendor team the requester "
        "subscribes to, tasks) and print its credentials."
    )

    def handle(self, *args, **options):
        path = settings.DATA_DIR / "demo-credentials.json"
        if path.exists():
            credentials = json.loads(path.read_text())
            if _forget_changed_passwords(credentials):
                _write_secret(path, json.dumps(credentials, indent=2) + "\n")
            if not (settings.DATA_DIR / "demo.env").exists():
                _write_env(credentials)
            self.stdout.write(path.read_text())
            return
        with transaction.atomic():
            requester = requester_create(name="Demo Requester")
            organization = requester.organization
            # An operator's deposit: posting work reserves its worst case in escrow.
            deposit(organization_id=organization.pk, amount_micros=100 * MICROS_PER_DOLLAR, reference="demo-seed")
            team = workteam_create(owner=organization, name="Demo private team")
            workers = []
            for username in ("ada", "grace", "linus"):
                worker, token = worker_create(username=f"demo-{username}")
                invitation_accept(invitation=invitation_create(workteam=team, worker=worker))
                workers.append({"worker_id": worker.pk, "username": worker.username, "token": token})
            animals = ["cat", "dog", "cat", "dog", "cat"]
            public_specs = [
                task_spec(
                    {
                        "title": f"Cat or dog? #{i + 1}",
                        "input": {"text": f"A {animal} sits on the mat."},
                        "labels": ["cat", "dog"],
                        "answer_schema": DEMO_ANSWER_SCHEMA,
                        "instructions": "Pick the animal the sentence talks about.",
                        "slots": 3,
                        "reward": "0.05",
                    }
                )
                for i, animal in enumerate(animals)
            ]
            tasks_post(requester=organization, specs=public_specs)
            private_specs = [
                task_spec(
                    {
                        "title": f"Private review #{i + 1}",
                        "input": {"text": f"Review item {i + 1}"},
                        "slots": 2,
                        "reward": "0.10",
                        "workteam_id": team.pk,
                        "priority": 10,
                    }
                )
                for i in range(3)
            ]
            tasks_post(requester=organization, specs=private_specs)
            vendor = vendor_create(name="Demo Vendor")
            offering = offering_publish(
                vendor=vendor.organization,
                name="Demo vendor team",
                task_types=["custom", "text_classification"],
                languages=["en"],
                description="Careful English text labeling.",
                price="0.08",
                capacity=5,
            )
            subscription, _ = subscription_request(requester=organization, offering=offering)
            subscription_accept(subscription=subscription)
            # Managed by the vendor, so its portal team page lists it and can issue its tokens.
            vendor_worker, vendor_token = vendor_worker_create(
                vendor=vendor.organization, username="demo-vendor-worker", workteam=offering.workteam
            )
            tasks_post(
                requester=organization,
                specs=[
                    task_spec(
                        {
                            "title": f"Vendor transcription #{i + 1}",
                            "input": {"text": f"Line {i + 1}"},
                            "slots": 1,
                            "workteam_id": offering.workteam_id,
                            "instructions": "Copy the line exactly.",
                        }
                    )
                    for i in range(4)
                ],
            )
        credentials = {
            "requester": {
                "organization_id": organization.pk,
                "api_key": requester.api_key,
                "aws_access_key_id": requester.aws_access_key_id,
                "aws_secret_access_key": requester.aws_secret_access_key,
                "admin_username": requester.admin_username,
                "admin_password": requester.admin_password,
            },
            "private_workteam_id": team.pk,
            "workers": workers,
            "vendor": {
                "organization_id": vendor.organization.pk,
                "admin_username": vendor.admin_username,
                "admin_password": vendor.admin_password,
                "offering_id": offering.pk,
                "workteam_id": offering.workteam_id,
                "worker": {"worker_id": vendor_worker.pk, "username": vendor_worker.username, "token": vendor_token},
            },
        }
        _write_secret(path, json.dumps(credentials, indent=2) + "\n")
        _write_env(credentials)
        self.stdout.write(path.read_text())


def _forget_changed_passwords(credentials: dict) -> bool:
    """Replace each admin password that no longer signs in (the portal makes the admin choose
    a new one at first sign-in) by ``null`` and a note on how to set a new one. Returns whether
    anything changed."""
    changed = False
    for entry in (credentials.get("requester"), credentials.get("vendor")):
        if not entry or not entry.get("admin_password"):
            continue
        user = get_user_model().objects.filter(username=entry["admin_username"]).first()
        if user is not None and user.check_password(entry["admin_password"]):
            continue
        entry["admin_password"] = None
        entry["admin_password_note"] = (
            "changed (the portal asks for a new one at first sign-in); to set another: "
            f".venv/bin/python manage.py changepassword {entry['admin_username']}"
        )
        changed = True
    return changed


def _write_env(credentials: dict) -> None:
    """``demo.env``: the requester's API key and the first worker's token, for ``. var/demo.env``."""
    worker = credentials["workers"][0]
    _write_secret(
        settings.DATA_DIR / "demo.env",
        (
            '# The demo\'s credentials for a shell (README "Quick start"): . var/demo.env\n'
            f"export GROUNDWORK_API_KEY={credentials['requester']['api_key']}  # the demo requester's API key\n"
            f"export GROUNDWORK_TOKEN={worker['token']}  # worker {worker['username']}'s token\n"
        ),
    )


def _write_secret(path: Path, text: str) -> None:
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text(text)
