"""Helpers shared by the tests of this package (test_assignment_flow.py, split by topic)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from marketplace.models import Assignment, Task


def approve(client, assignment_id, **body):
    return client.post(f"/api/v1/assignments/{assignment_id}/approve", body, format="json")


def reject(client, assignment_id, **body):
    return client.post(f"/api/v1/assignments/{assignment_id}/reject", body, format="json")


def row(assignment_id) -> dict:
    return Assignment.objects.filter(pk=assignment_id).values().get()


def task_row(task_id) -> dict:
    return Task.objects.filter(pk=task_id).values("status", "slots", "slots_used", "slots_submitted").get()


def past() -> datetime:
    return timezone.now() - timedelta(seconds=1)
