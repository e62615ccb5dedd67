"""Appeals' reads at scale: how long a worker waits for a requester's public profile (its
appeal figures and approval rate, counted over every settled assignment of the requester) and a
requester for a page of its open appeals, with a requester holding many settled assignments.

Run:  python bench/appeals.py [--assignments 200000] [--repeat 30]

Needs PostgreSQL (``BENCH_DATABASE_URL``, default
``postgres://postgres@127.0.0.1:5432/groundwork_bench_appeals``, created if missing and wiped on
every run). The requester's tasks are posted through the services; its settled assignments and
appeals are then written in bulk SQL (one task per 50 assignments, 90 % approved, 10 % rejected,
a tenth of the rejections appealed), since only the reads are measured. Each figure is the
median (and 95th percentile) of ``--repeat`` calls through the REST routes (Django's test
client, in this process: the view, the query and the rendering; no network).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from dispatch import ensure_database, setup_django  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/groundwork_bench_appeals"
WORKERS = 50


def seed(assignments: int) -> tuple[str, str, int]:
    """The requester's key, a worker's token and the requester's id."""
    from django.db import connection

    from marketplace.inputs.tasks import task_spec
    from marketplace.services.ledger import deposit
    from marketplace.services.organizations import requester_create
    from marketplace.services.tasks import tasks_post
    from marketplace.services.workers import worker_create

    requester = requester_create(name="bench appeals")
    deposit(organization_id=requester.organization.pk, amount_micros=10**13, reference="bench-appeals")
    workers = [worker_create(username=f"bench-appeals-{i}") for i in range(WORKERS)]
    tasks = -(-assignments // WORKERS)
    spec = task_spec({"title": "bench", "input": {"text": "x"}, "slots": WORKERS, "reward": "0.01"})
    for start in range(0, tasks, 1000):
        tasks_post(requester=requester.organization, specs=[spec] * min(1000, tasks - start))
    worker_ids = [worker.pk for worker, _ in workers]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO marketplace_assignment
                (task_id, worker_id, status, answer, feedback, accepted_at, deadline, submitted_at,
                 approved_at, rejected_at, flagged_reason)
            SELECT t.id, w.id,
                   CASE WHEN (t.id + w.id) %% 10 = 0 THEN 'rejected' ELSE 'approved' END,
                   '{"label": "x"}'::jsonb, '', now(), now(), now(),
                   CASE WHEN (t.id + w.id) %% 10 = 0 THEN NULL ELSE now() END,
                   CASE WHEN (t.id + w.id) %% 10 = 0 THEN now() ELSE NULL END, ''
            FROM marketplace_task t CROSS JOIN unnest(%s::bigint[]) AS w(id)
            WHERE t.requester_id = %s
            """,
            [worker_ids, requester.organization.pk],
        )
        cursor.execute(
            """
            INSERT INTO marketplace_appeal
                (assignment_id, requester_id, worker_id, message, rejection_feedback, status, reply, created_at,
                 decided_at)
            SELECT a.id, %s, a.worker_id, 'please', '',
                   CASE a.id %% 3 WHEN 0 THEN 'open' WHEN 1 THEN 'accepted' ELSE 'declined' END,
                   '', now(), CASE WHEN a.id %% 3 = 0 THEN NULL ELSE now() END
            FROM marketplace_assignment a
            WHERE a.status = 'rejected' AND a.id %% 10 = 0
            """,
            [requester.organization.pk],
        )
        cursor.execute("ANALYZE")
    return requester.api_key, workers[0][1], requester.organization.pk


def timed(call, repeat: int) -> tuple[float, float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = call()
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.content
    samples.sort()
    return statistics.median(samples), samples[max(0, round(0.95 * len(samples)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assignments", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    ensure_database(url)
    setup_django(url)
    os.environ.setdefault("ALLOWED_HOSTS", "*")
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["*"]

    from marketplace.models import Appeal, Assignment
    from tests.support.factories import client_with

    started = time.perf_counter()
    api_key, token, requester_id = seed(args.assignments)
    settled = Assignment.objects.filter(task__requester_id=requester_id).count()
    appeals = Appeal.objects.filter(requester_id=requester_id).count()
    print(f"seeded {settled:,} settled assignments and {appeals:,} appeals in {time.perf_counter() - started:.1f} s")

    worker, requester = client_with(token), client_with(api_key)
    profile = worker.get(f"/api/v1/worker/requesters/{requester_id}").json()
    print(
        f"profile: {profile['appeals_received']:,} appeals, {profile['appeals_accepted']:,} accepted, "
        f"approval rate {profile['approval_rate']}"
    )
    for label, call in [
        ("GET /api/v1/worker/requesters/{id}", lambda: worker.get(f"/api/v1/worker/requesters/{requester_id}")),
        ("GET /api/v1/appeals?status=open&limit=100", lambda: requester.get("/api/v1/appeals?status=open&limit=100")),
        ("GET /api/v1/worker/appeals", lambda: worker.get("/api/v1/worker/appeals")),
        ("(baseline) GET /api/v1/assignments?limit=100", lambda: requester.get("/api/v1/assignments?limit=100")),
        ("(baseline) GET /api/v1/balance", lambda: requester.get("/api/v1/balance")),
    ]:
        median, p95 = timed(call, args.repeat)
        print(f"{label:45s} median {median:7.1f} ms   p95 {p95:7.1f} ms")


if __name__ == "__main__":
    main()
