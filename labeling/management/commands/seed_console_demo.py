"""The worker console's demo login for the embedded default: a worker with a console password
and work of several task types waiting (image classification, bounding boxes, segmentation,
named entities, multi-label text, a custom form), owned by the demo requester of
``seed_demo``. Run after ``seed_demo`` and ``seed_labeling_demo``; the first run adds a
``console`` entry to the demo credentials, later runs print it again (the same login works)."""

import json
import secrets
import struct
import zlib

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from labeling.inputs import job_spec
from labeling.models import StorageLocation
from labeling.services.ingest import job_ingest
from labeling.services.jobs import job_create
from labeling.services.storage_registration import storage_register
from marketplace.inputs.tasks import task_spec
from marketplace.models import Organization
from marketplace.services.tasks import tasks_post
from marketplace.services.worker_accounts import worker_authenticate, worker_password_set
from marketplace.services.workers import worker_create

SHAPES = [("circle", (220, 60, 60)), ("square", (40, 110, 220)), ("circle", (40, 150, 80)), ("square", (230, 150, 30))]
SENTENCES = [
    "Ada Lovelace met Charles Babbage in London in 1833.",
    "Grace Hopper worked on the Mark I at Harvard.",
    "Linus Torvalds wrote the first Linux kernel in Helsinki.",
]


def _png(width: int, height: int, shape: str, colour: tuple[int, int, int]) -> bytes:
    """An RGB PNG: a light background with one shape (for boxes and masks to be drawn on)."""
    cx, cy, r = width // 2, height // 2, min(width, height) // 4
    rows = []
    for y in range(height):
        row = bytearray([0])
        for x in range(width):
            inside = (
                (x - cx) ** 2 + (y - cy) ** 2 <= r * r if shape == "circle" else abs(x - cx) <= r and abs(y - cy) <= r
            )
            row += bytes(colour if inside else (244, 246, 249))
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + chunk(b"IEND", b"")
    )


def _forget_a_changed_password(login: dict) -> bool:
    """Replace the printed password by a note once the worker changed it in the console (as
    ``seed_demo`` does for the admins): never print a password that no longer signs in."""
    if not login.get("password") or worker_authenticate(login=login["username"], password=login["password"]):
        return False
    login["password"] = None
    login["password_note"] = (
        "changed in the console since it was printed: sign in with the new one, or choose "
        "another at /console/activate with this worker's token"
    )
    return True


class Command(BaseCommand):
    help = "Create the console demo login once (after seed_demo and seed_labeling_demo) and print it."

    def handle(self, *args, **options):
        path = settings.DATA_DIR / "demo-credentials.json"
        if not path.exists():
            raise CommandError("run seed_demo first")
        credentials = json.loads(path.read_text())
        if "console" not in credentials:
            credentials["console"] = self._create(credentials)
            path.write_text(json.dumps(credentials, indent=2) + "\n")
        elif _forget_a_changed_password(credentials["console"]):
            path.write_text(json.dumps(credentials, indent=2) + "\n")
        self.stdout.write(json.dumps({"console": credentials["console"]}))

    def _create(self, credentials: dict) -> dict:
        organization = Organization.objects.get(pk=credentials["requester"]["organization_id"])
        folder = settings.STORAGE_ROOT / "demo" / "console"
        folder.mkdir(parents=True, exist_ok=True)
        images = []
        for index, (shape, colour) in enumerate(SHAPES, start=1):
            (folder / f"shape-{index}.png").write_bytes(_png(480, 320, shape, colour))
            images.append({"source-ref": f"file://demo/console/shape-{index}.png"})
        (folder / "images.jsonl").write_text("".join(json.dumps(line) + "\n" for line in images))
        (folder / "sentences.jsonl").write_text("".join(json.dumps({"source": s}) + "\n" for s in SENTENCES))
        if not StorageLocation.objects.filter(organization=organization, uri_prefix="file://demo/").exists():
            storage_register(organization=organization, uri_prefix="file://demo/")
        common = {"reward": "0.03", "workers_per_object": 2, "output_uri": "file://demo/console/output/"}
        jobs = [
            {
                "name": "demo-shapes",
                "task_type": "image_classification",
                "label_attribute_name": "shape",
                "input_manifest_uri": "file://demo/console/images.jsonl",
                "label_categories": ["circle", "square"],
                "title": "Circle or square?",
                "instructions": "Pick the **shape** in the picture.",
            },
            {
                "name": "demo-boxes",
                "task_type": "bounding_box",
                "label_attribute_name": "boxes",
                "input_manifest_uri": "file://demo/console/images.jsonl",
                "label_categories": ["circle", "square"],
                "title": "Draw a box around each shape",
                "instructions": "Drag on the image to draw a box; keys `1`–`2` set its label.",
            },
            {
                "name": "demo-masks",
                "task_type": "semantic_segmentation",
                "label_attribute_name": "shapes-ref",
                "input_manifest_uri": "file://demo/console/images.jsonl",
                "label_categories": ["background", "shape"],
                "title": "Paint the shape",
                "instructions": "Paint every pixel of the shape with label **shape**.",
            },
            {
                "name": "demo-entities",
                "task_type": "named_entity_recognition",
                "label_attribute_name": "entities",
                "input_manifest_uri": "file://demo/console/sentences.jsonl",
                "label_categories": ["person", "place"],
                "title": "Mark people and places",
                "instructions": "Select each name, then press its label's key.",
            },
            {
                "name": "demo-topics",
                "task_type": "text_multilabel",
                "label_attribute_name": "topics",
                "input_manifest_uri": "file://demo/console/sentences.jsonl",
                "label_categories": ["computing", "history", "travel"],
                "title": "Which topics fit?",
                "instructions": "Toggle every topic that fits (keys `1`–`3`), then press Enter.",
            },
        ]
        with transaction.atomic():
            worker, token = worker_create(username="demo-labeler")
            password = secrets.token_urlsafe(12)
            worker_password_set(worker=worker, password=password)
            created = [job_create(requester=organization, spec=job_spec({**common, **job})) for job in jobs]
            tasks_post(
                requester=organization,
                specs=[
                    task_spec(
                        {
                            "title": f"Rate this sentence #{index + 1}",
                            "input": {"text": sentence},
                            "reward": "0.02",
                            "instructions": "Say how clear the sentence is, and flag anything odd.",
                            "answer_schema": {
                                "type": "object",
                                "required": ["clarity"],
                                "properties": {
                                    "clarity": {"enum": ["clear", "unclear"]},
                                    "odd": {"type": "boolean"},
                                    "comment": {"type": "string"},
                                },
                            },
                        }
                    )
                    for index, sentence in enumerate(SENTENCES)
                ],
            )
        for job in created:
            job_ingest(job_id=job.pk)
        return {
            "url": "/console/",
            "username": worker.username,
            "password": password,
            "worker_id": worker.pk,
            "token": token,
            "labeling_jobs": [job.pk for job in created],
        }
