"""A demo labeling job for the embedded default, owned by the demo requester of ``seed_demo``:
six sentences in the local storage root, labeled by the public workforce, output written
beside them. Run after ``seed_demo``; a second run changes nothing."""

import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from labeling.services.ingest import job_ingest
from labeling.services.jobs import job_create, parse_job_spec
from labeling.services.storage_registration import storage_register
from marketplace.models import Organization

SENTENCES = [
    "I love this phone, the battery lasts for days.",
    "The screen cracked after one week. Avoid.",
    "Fast delivery and it works exactly as described.",
    "Customer service never answered my emails.",
    "Great value for the price, would buy again.",
    "It stopped charging on the second day.",
]


class Command(BaseCommand):
    help = "Create the demo labeling job once (after seed_demo) and add it to the demo credentials."

    def handle(self, *args, **options):
        path = settings.DATA_DIR / "demo-credentials.json"
        if not path.exists():
            raise CommandError("run seed_demo first")
        credentials = json.loads(path.read_text())
        if "labeling_job" in credentials:
            return
        organization = Organization.objects.get(pk=credentials["requester"]["organization_id"])
        folder = settings.STORAGE_ROOT / "demo"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "reviews.jsonl").write_text(
            "".join(json.dumps({"source": text, "review-id": index}) + "\n" for index, text in enumerate(SENTENCES))
        )
        storage_register(organization=organization, uri_prefix="file://demo/")
        spec = parse_job_spec({
            "name": "demo-reviews", "label_attribute_name": "sentiment", "task_type": "text_classification",
            "input_manifest_uri": "file://demo/reviews.jsonl", "output_uri": "file://demo/output/",
            "label_categories": ["positive", "negative"], "title": "Is this review positive or negative?",
            "instructions": "Read the review and pick its sentiment.", "reward": "0.02", "workers_per_object": 3,
            "worker_visible_keys": ["review-id"],
        })
        job = job_create(requester=organization, spec=spec)
        job_ingest(job_id=job.pk)
        credentials["labeling_job"] = {
            "id": job.pk, "input_manifest_uri": spec.fields["input_manifest_uri"],
            "output_manifest": str(folder / "output" / job.name / "manifests" / "output" / "output.manifest"),
        }
        path.write_text(json.dumps(credentials, indent=2) + "\n")
        self.stdout.write(json.dumps({"labeling_job": credentials["labeling_job"]}))
