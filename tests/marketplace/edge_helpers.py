"""Shared by the edge-hardening tests: a snapshot of everything stored, to prove a refusal
changed nothing, and raw JSON posting (bodies Python's ``json.dumps`` would never write)."""

from __future__ import annotations

from django.apps import apps

from marketplace.models import Assignment

SKIPPED_MODELS = {"marketplace.IdempotencyRecord"}


def world() -> dict:
    """Row counts of every model of the project's apps, and every assignment's status."""
    counts = {
        model._meta.label: model.objects.count()
        for app in ("marketplace", "labeling")
        for model in apps.get_app_config(app).get_models()
        if model._meta.label not in SKIPPED_MODELS
    }
    counts["assignment statuses"] = sorted(Assignment.objects.values_list("pk", "status", "answer"), key=str)
    return counts


def post_raw(client, path: str, body: str):
    """POST ``body`` exactly as written (escapes such as ``\\ud800`` stay escapes)."""
    return client.generic("POST", path, body.encode(), content_type="application/json")


def assert_invalid(response, field: str) -> dict:
    assert response.status_code == 400, response.content[:500]
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert field in error["fields"], error
    return error
