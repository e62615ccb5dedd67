"""Demo labeling jobs for the embedded default, owned by the demo requester of ``seed_demo``.
Run after ``seed_demo``; a second run changes nothing.

- ``demo-reviews``: six sentences in the local storage root for the public workforce, left for
  you to label with the demo workers' tokens; its output is written beside them.
- ``demo-reviews-answered``: sixteen more, already partly answered by four simulated workers of
  known reliability (a private team, "Demo labelers"), so the portal shows a job in progress
  with confidences that spread, workers that disagree, dynamic redundancy asking unsure objects
  for another answer, and reviewed answers. The simulated workers answer through the same claim
  and submit services as the API, with seeded randomness: every run draws the same answers.

It also has the vendor's worker answer two of the four tasks ``seed_demo`` posted to the vendor
team, and the requester approve them (paying the vendor), so the vendor's dashboard shows work
in progress and its earnings page a statement.
"""

import json
import random

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from labeling.inputs import job_spec
from labeling.models import LabelingJob
from labeling.services.ingest import job_ingest
from labeling.services.jobs import job_create
from labeling.services.storage_registration import storage_register
from labeling.services.sweeps import run_labeling_sweeps
from marketplace.models import Organization, Worker
from marketplace.services.assignments import assignment_approve, assignment_submit
from marketplace.services.dispatch import assignment_claim
from marketplace.services.workers import worker_create
from marketplace.services.workteams import workteam_create

SENTENCES = [
    "I love this phone, the battery lasts for days.",
    "The screen cracked after one week. Avoid.",
    "Fast delivery and it works exactly as described.",
    "Customer service never answered my emails.",
    "Great value for the price, would buy again.",
    "It stopped charging on the second day.",
]

# (text, truth) for the job the simulated workers answer.
ANSWERED_REVIEWS = [
    ("Setup took two minutes and the sound is superb.", "positive"),
    ("The strap broke the first time I wore it.", "negative"),
    ("Comfortable, light, and the colour is just like the photo.", "positive"),
    ("Arrived late and the box was crushed.", "negative"),
    ("Not bad for the price, though the manual is confusing.", "positive"),
    ("Battery life is half of what they advertise.", "negative"),
    ("My kids use it every day and it still looks new.", "positive"),
    ("It works, I suppose, when it feels like it.", "negative"),
    ("Five stars: quiet, quick and easy to clean.", "positive"),
    ("Returned it: the left earbud never paired.", "negative"),
    ("Better than the brand-name one I had before.", "positive"),
    ("The app keeps logging me out.", "negative"),
    ("Solid build, but I expected more for this money.", "negative"),
    ("A thoughtful gift that my father loved.", "positive"),
    ("Smells of plastic even after a week of airing.", "negative"),
    ("Does exactly one thing and does it well.", "positive"),
]
# The simulated crowd: how often each answers right.
SIMULATED_WORKERS = [
    ("demo-sim-careful", 0.95),
    ("demo-sim-steady", 0.85),
    ("demo-sim-rushed", 0.7),
    ("demo-sim-guessing", 0.55),
]
# Answers per simulated worker in each round; a sweep between rounds consolidates and steers.
ROUNDS = (8, 4)
SEED = 21


def simulate_answers(
    *,
    job: LabelingJob,
    workers: list[tuple[Worker, float]],
    rounds=ROUNDS,
    seed: int = SEED,
    approve_first_round: bool = True,
) -> int:
    """Have ``workers`` (each with its probability of answering right) claim and answer the
    job's tasks through the claim and submit services, ``rounds[i]`` answers each in round
    ``i``, consolidating between rounds. The first round's answers are approved by the
    requester (a review). Returns the number of answers submitted."""
    truth = dict(ANSWERED_REVIEWS)
    labels = list(job.label_categories)
    rng = random.Random(seed)
    submitted = 0
    for round_index, per_worker in enumerate(rounds):
        for worker, accuracy in workers:
            for _ in range(per_worker):
                assignment = assignment_claim(worker=worker)
                if assignment is None:
                    break
                right = truth[assignment.task.input["source"]]
                wrong = [label for label in labels if label != right]
                answer = right if rng.random() < accuracy else rng.choice(wrong)
                assignment_submit(worker=worker, assignment_id=assignment.pk, answer={"label": answer})
                if round_index == 0 and approve_first_round:
                    assignment_approve(requester=job.requester, assignment_id=assignment.pk)
                submitted += 1
        run_labeling_sweeps()
    return submitted


class Command(BaseCommand):
    help = "Create the demo labeling jobs once (after seed_demo) and add them to the demo credentials."

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
        (folder / "more-reviews.jsonl").write_text(
            "".join(
                json.dumps({"source": text, "review-id": 100 + index}) + "\n"
                for index, (text, _) in enumerate(ANSWERED_REVIEWS)
            )
        )
        storage_register(organization=organization, uri_prefix="file://demo/")
        common = {
            "label_attribute_name": "sentiment",
            "task_type": "text_classification",
            "output_uri": "file://demo/output/",
            "label_categories": ["positive", "negative"],
            "title": "Is this review positive or negative?",
            "instructions": "Read the review and pick its sentiment.",
            "reward": "0.02",
            "workers_per_object": 3,
            "worker_visible_keys": ["review-id"],
        }
        job = job_create(
            requester=organization,
            spec=job_spec({**common, "name": "demo-reviews", "input_manifest_uri": "file://demo/reviews.jsonl"}),
        )
        job_ingest(job_id=job.pk)

        team = workteam_create(owner=organization, name="Demo labelers")
        crowd = [
            (worker_create(username=name, join_public=False, workteams=[team])[0], accuracy)
            for name, accuracy in SIMULATED_WORKERS
        ]
        answered = job_create(
            requester=organization,
            spec=job_spec(
                {
                    **common,
                    "name": "demo-reviews-answered",
                    "input_manifest_uri": "file://demo/more-reviews.jsonl",
                    "workteam_id": team.pk,
                    "target_confidence": 0.9,
                    "min_workers_per_object": 2,
                    "max_workers_per_object": 4,
                }
            ),
        )
        job_ingest(job_id=answered.pk)
        simulate_answers(job=LabelingJob.objects.get(pk=answered.pk), workers=crowd)
        self._vendor_work(credentials, organization)

        credentials["labeling_job"] = {
            "id": job.pk,
            "input_manifest_uri": "file://demo/reviews.jsonl",
            "output_manifest": str(folder / "output" / job.name / "manifests" / "output" / "output.manifest"),
        }
        credentials["answered_labeling_job"] = {"id": answered.pk, "workteam_id": team.pk}
        path.write_text(json.dumps(credentials, indent=2) + "\n")
        self.stdout.write(json.dumps({key: credentials[key] for key in ("labeling_job", "answered_labeling_job")}))

    @staticmethod
    def _vendor_work(credentials: dict, requester: Organization) -> None:
        """The vendor's worker copies two of the lines ``seed_demo`` posted to its team; the
        requester approves both."""
        worker = Worker.objects.filter(pk=credentials.get("vendor", {}).get("worker", {}).get("worker_id")).first()
        if worker is None:
            return
        for _ in range(2):
            assignment = assignment_claim(worker=worker)
            if assignment is None:
                return
            assignment_submit(
                worker=worker, assignment_id=assignment.pk, answer={"text": str(assignment.task.input.get("text", ""))}
            )
            assignment_approve(requester=requester, assignment_id=assignment.pk)
