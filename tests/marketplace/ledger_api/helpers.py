"""Helpers shared by the tests of this package (test_ledger_api.py, split by topic)."""

from __future__ import annotations

import io
import json
from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone

from labeling.services.storage_registration import storage_register
from labeling.services.sweeps import run_labeling_sweeps
from marketplace.models import LedgerAccount, LedgerEntry, LedgerTransaction
from tests.support.factories import client_with

DOLLARS = 1_000_000


Kind = LedgerAccount.Kind


def ledger_state() -> dict:
    """Every account's balance (accounts holding nothing left out: they may be created lazily)
    and how many transactions and entries exist: "nothing moved" means this is the same before
    and after."""
    return {
        "balances": dict(LedgerAccount.objects.exclude(balance_micros=0).values_list("id", "balance_micros")),
        "transactions": LedgerTransaction.objects.count(),
        "entries": LedgerEntry.objects.count(),
    }


def balance(requester) -> dict:
    response = client_with(requester.api_key).get("/api/v1/balance")
    assert response.status_code == 200, response.content
    return response.json()


def me(worker) -> dict:
    response = worker.client.get("/api/v1/worker/me")
    assert response.status_code == 200, response.content
    return {key: response.json()[key] for key in ("earnings", "paid_out")}


def platform_micros(kind: str) -> int:
    return LedgerAccount.objects.filter(kind=kind).values_list("balance_micros", flat=True).first() or 0


def post_task(requester, **fields) -> dict:
    fields.setdefault("title", "a task")
    fields.setdefault("reward", "0.05")
    response = client_with(requester.api_key).post("/api/v1/tasks", fields, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def approve(requester, assignment_id: int, **headers):
    return client_with(requester.api_key).post(f"/api/v1/assignments/{assignment_id}/approve", **headers)


def reject(requester, assignment_id: int):
    return client_with(requester.api_key).post(f"/api/v1/assignments/{assignment_id}/reject")


def bonus(requester, body, key: str | None = "bonus-1"):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client_with(requester.api_key).post("/api/v1/bonuses", body, format="json", **headers)


def payments_of(assignment_id: int) -> list[dict]:
    """The assignment's payment transactions, each as {account kind: amount}."""
    return [
        {entry.account.kind: entry.amount_micros for entry in record.entries.select_related("account")}
        for record in LedgerTransaction.objects.filter(
            kind=LedgerTransaction.Kind.ASSIGNMENT_PAYMENT, assignment_id=assignment_id
        )
    ]


def error(response) -> tuple[int, str, list[str]]:
    body = response.json()["error"]
    return response.status_code, body["code"], sorted(body.get("fields", {}))


def past():
    return timezone.now() - timedelta(seconds=1)


def fee_terms(settings, **terms) -> None:
    settings.GROUNDWORK = {**settings.GROUNDWORK, **terms}


def command(*args) -> dict:
    """Run an operator command; it prints exactly one JSON object on one line."""
    out = io.StringIO()
    call_command(*args, stdout=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == 1, out.getvalue()
    return json.loads(lines[0])


def request_payout(worker, amount):
    return worker.client.post("/api/v1/worker/payouts", {"amount": amount} if amount is not None else {}, format="json")


def _job(requester, root, *, objects: int = 3, **overrides) -> dict:
    storage_register(organization=requester.organization, uri_prefix="file://acme/")
    lines = [{"source": f"object {i}: {'cat' if i % 2 else 'dog'}"} for i in range(objects)]
    (root / "acme" / "in.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    response = client_with(requester.api_key).post(
        "/api/v1/labeling-jobs",
        {
            "name": "job-1",
            "label_attribute_name": "species",
            "task_type": "text_classification",
            "input_manifest_uri": "file://acme/in.jsonl",
            "output_uri": "file://acme/out/",
            "label_categories": ["cat", "dog"],
            "title": "Cat or dog?",
            "reward": "0.05",
            "workers_per_object": 1,
            **overrides,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    run_labeling_sweeps()
    return client_with(requester.api_key).get(f"/api/v1/labeling-jobs/{response.json()['id']}").json()
