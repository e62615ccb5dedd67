"""Demo data for the embedded default: a requester, a few workers, a private workteam, a vendor
with an offering the requester subscribes to, tasks.

Credentials are shown once by design, so the first run writes them to
``$GROUNDWORK_DATA_DIR/demo-credentials.json`` and later runs print that file again.
"""

import json

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from marketplace.money import MICROS_PER_DOLLAR
from marketplace.services.ledger import deposit
from marketplace.services.organizations import requester_create, vendor_create
from marketplace.services.tasks import parse_task_spec, tasks_post
from marketplace.services.vendors import offering_publish, subscription_accept, subscription_request
from marketplace.services.workers import vendor_worker_create, worker_create
from marketplace.services.workteams import invitation_accept, invitation_create, workteam_create

DEMO_ANSWER_SCHEMA = {
    "type": "object",
    "properties": {"label": {"enum": ["cat", "dog"]}},
    "required": ["label"],
}


class Command(BaseCommand):
    help = ("Create demo data once (a requester, 3 workers, a private workteam, a vendor team the requester "
            "subscribes to, tasks) and print its credentials.")

    def handle(self, *args, **options):
        path = settings.DATA_DIR / "demo-credentials.json"
        if path.exists():
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
                parse_task_spec({
                    "title": f"Cat or dog? #{i + 1}", "input": {"text": f"A {animal} sits on the mat."},
                    "labels": ["cat", "dog"], "answer_schema": DEMO_ANSWER_SCHEMA,
                    "instructions": "Pick the animal the sentence talks about.", "slots": 3, "reward": "0.05",
                })
                for i, animal in enumerate(animals)
            ]
            tasks_post(requester=organization, specs=public_specs)
            private_specs = [
                parse_task_spec({
                    "title": f"Private review #{i + 1}", "input": {"text": f"Review item {i + 1}"},
                    "slots": 2, "reward": "0.10", "workteam_id": team.pk, "priority": 10,
                })
                for i in range(3)
            ]
            tasks_post(requester=organization, specs=private_specs)
            vendor = vendor_create(name="Demo Vendor")
            offering = offering_publish(
                vendor=vendor.organization, name="Demo vendor team", task_types=["custom", "text_classification"],
                languages=["en"], description="Careful English text labeling.", price="0.08", capacity=5,
            )
            subscription, _ = subscription_request(requester=organization, offering=offering)
            subscription_accept(subscription=subscription)
            # Managed by the vendor, so its portal team page lists it and can issue its tokens.
            vendor_worker, vendor_token = vendor_worker_create(
                vendor=vendor.organization, username="demo-vendor-worker", workteam=offering.workteam)
            tasks_post(requester=organization, specs=[
                parse_task_spec({
                    "title": f"Vendor transcription #{i + 1}", "input": {"text": f"Line {i + 1}"}, "slots": 1,
                    "workteam_id": offering.workteam_id, "instructions": "Copy the line exactly.",
                })
                for i in range(4)
            ])
        credentials = {
            "requester": {
                "organization_id": organization.pk, "api_key": requester.api_key,
                "admin_username": requester.admin_username, "admin_password": requester.admin_password,
            },
            "private_workteam_id": team.pk,
            "workers": workers,
            "vendor": {
                "organization_id": vendor.organization.pk, "admin_username": vendor.admin_username,
                "admin_password": vendor.admin_password, "offering_id": offering.pk,
                "workteam_id": offering.workteam_id,
                "worker": {"worker_id": vendor_worker.pk, "username": vendor_worker.username, "token": vendor_token},
            },
        }
        path.write_text(json.dumps(credentials, indent=2) + "\n")
        path.chmod(0o600)
        self.stdout.write(path.read_text())
