"""Helpers shared by the tests of this package (test_task_api.py, split by topic)."""

from __future__ import annotations

from marketplace.models import Batch, Task

TASKS_URL = "/api/v1/tasks"


def task_body(**fields) -> dict:
    return {"title": "Is this a cat?", "reward": "0.05", **fields}


def counts() -> tuple[int, int]:
    return Task.objects.count(), Batch.objects.count()


def post_tasks(client, body, **extra):
    return client.post(TASKS_URL, body, format="json", **extra)
