"""One strict grammar for every amount (issue 13, defect 10): ASCII digits, an optional single
point followed by 1 to 6 digits, no sign, spaces, exponent, separators or leading zeros."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from marketplace.money import parse_amount_micros
from tests.marketplace.edge_helpers import assert_invalid, world

# Every form the probe found accepted, and their neighbours.
LAX = [
    "1_000",
    "١٠",
    "٠.٥",
    "１",
    "-0",
    "-1",
    "+0.10",
    " 0.10 ",
    "0.10 ",
    "\t1",
    ".5",
    "5.",
    "1e-2",
    "1E1",
    "1e2",
    "05",
    "00.5",
    "0x10",
    "1,000",
    "1.000.0",
    "",
    "NaN",
    "Infinity",
    "0.0000001",
    "1 000",
]
GOOD = [("0", 0), ("0.05", 50_000), ("12.5", 12_500_000), ("3", 3_000_000), ("0.000001", 1), ("10.100000", 10_100_000)]


@pytest.mark.parametrize("text", LAX)
def test_lax_amounts_are_refused(text):
    with pytest.raises(ValueError):
        parse_amount_micros(text)


@pytest.mark.parametrize(("text", "micros"), GOOD)
def test_strict_amounts_are_read_exactly(text, micros):
    assert parse_amount_micros(text) == micros


def test_json_integers_are_whole_dollars_and_floats_and_booleans_are_refused():
    assert parse_amount_micros(7) == 7_000_000
    for value in (0.5, True, -1, None, ["1"]):
        with pytest.raises(ValueError):
            parse_amount_micros(value)


@pytest.mark.parametrize("text", LAX)
def test_a_lax_reward_is_a_400_naming_it_and_posts_nothing(requester_client, text):
    before = world()
    response = requester_client.post("/api/v1/tasks", {"title": "t", "reward": text}, format="json")
    assert_invalid(response, "reward")
    assert world() == before


@pytest.mark.parametrize("text", ["1_000", "١٠", "-0", "+0.10", " 0.10 ", ".5", "1e-2", "1E1"])
def test_every_amount_field_uses_the_grammar(requester, requester_client, make_tasks, make_worker, text):
    # given: a worker who did work for the requester and earned
    make_tasks(requester.organization, 1)
    worker = make_worker()
    assignment_id = worker.client.post("/api/v1/worker/tasks/next").json()["assignment_id"]
    worker.client.post(f"/api/v1/worker/assignments/{assignment_id}/submit", {"answer": {"a": 1}}, format="json")
    requester_client.post(f"/api/v1/assignments/{assignment_id}/approve", {}, format="json")
    before = world()
    # when / then: a bonus, a payout, a labeling job's reward
    bonus = requester_client.post(
        "/api/v1/bonuses",
        {"worker_id": worker.pk, "amount": text, "reason": "thanks", "assignment_id": assignment_id},
        format="json",
        HTTP_IDEMPOTENCY_KEY=f"bonus-{text}",
    )
    assert_invalid(bonus, "amount")
    payout = worker.client.post("/api/v1/worker/payouts", {"amount": text}, format="json")
    assert_invalid(payout, "amount")
    job = requester_client.post("/api/v1/labeling-jobs", {"name": "j", "reward": text}, format="json")
    assert_invalid(job, "reward")
    assert world() == before


@pytest.mark.parametrize("text", ["1_000", "-5", "+5", " 5", "5.", ".5", "1e3", "١٠"])
def test_the_deposit_command_uses_the_grammar(requester, text):
    before = world()
    with pytest.raises(CommandError, match="amount"):
        call_command("deposit", str(requester.organization.pk), text, "--reference", f"lax-{text}")
    assert world() == before


def test_the_deposit_command_takes_a_strict_amount(requester, requester_client, capsys):
    before = requester_client.get("/api/v1/balance").json()
    call_command("deposit", str(requester.organization.pk), "250.50", "--reference", "strict-1")
    assert json.loads(capsys.readouterr().out)["created"] is True
    after = requester_client.get("/api/v1/balance").json()
    assert parse_amount_micros(after["available"]) - parse_amount_micros(before["available"]) == 250_500_000
