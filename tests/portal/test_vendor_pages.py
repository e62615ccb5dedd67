"""Vendor portal pages through the Django test client: what each page shows, each team action,
and that money on the pages comes from the ledger."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

import pytest

from labeling.services.sweeps import run_labeling_sweeps
from marketplace.models import Assignment, LedgerAccount, Payout, Worker, WorkteamMembership
from marketplace.money import format_micros
from marketplace.selectors.ledger import account_balance_micros
from marketplace.services.vendors import offering_publish
from tests.support.factories import client_with

from .vendor_world import answer_next, approve, make_worker, post_job, subscribe

pytestmark = pytest.mark.django_db

ME_URL = "/api/v1/worker/me"


def vendor_balance(vendor) -> int:
    return account_balance_micros(LedgerAccount.Kind.VENDOR_EARNINGS, organization=vendor.organization)


def shown_token(html: str) -> str:
    match = re.search(r'id="token-value">([^<]+)<', html)
    assert match, "the page shows no token"
    return match.group(1)


# --- job page --------------------------------------------------------------------------------


def test_the_job_page_shows_progress_workers_labels_and_confidence(requester, vendor, storage_root):
    # given
    subscribe(requester, vendor)
    job = post_job(requester, vendor, storage_root)
    worker = make_worker(vendor, "alice")
    for assignment_id in [answer_next(worker) for _ in range(3)]:
        approve(requester, assignment_id)
    run_labeling_sweeps()
    # when
    page = vendor.client().get(f"/portal/vendor/jobs/{job.pk}")
    # then
    assert page.status_code == 200
    html = page.content.decode()
    assert re.search(r'id="labeled"[^>]*>3 / 4<', html)
    assert re.search(r'id="answers"[^>]*>3 / 4<', html)
    assert '<td class="nowrap">alice</td>' in html
    assert html.count("<svg") == 4  # progress, workers, labels, confidence
    assert "No answers yet" not in html and "No object labeled yet" not in html
    assert "Cat or dog?" in html  # instructions and title: the work sent to the team


def test_the_job_page_lists_data_objects_by_page(requester, vendor, storage_root):
    # given: 55 objects, 50 a page
    subscribe(requester, vendor)
    job = post_job(requester, vendor, storage_root, lines=[{"source": f"text number {i}: cat"} for i in range(55)])
    client = vendor.client()
    # when
    first, second = client.get(f"/portal/vendor/jobs/{job.pk}"), client.get(f"/portal/vendor/jobs/{job.pk}?page=2")
    # then
    assert "text number 49" in first.content.decode() and "text number 50" not in first.content.decode()
    assert "next →" in first.content.decode()
    assert "text number 54" in second.content.decode() and "text number 0:" not in second.content.decode()
    assert client.get(f"/portal/vendor/jobs/{job.pk}?page=zero").status_code == 200


# --- dashboard --------------------------------------------------------------------------------


def test_the_dashboard_lists_active_work_with_its_progress_and_throughput(requester, vendor, storage_root):
    # given
    subscribe(requester, vendor)
    job = post_job(requester, vendor, storage_root)
    worker = make_worker(vendor)
    answer_next(worker)
    answer_next(worker)
    # when
    html = vendor.client().get("/portal/vendor/").content.decode()
    # then
    assert "<title>Dashboard · Groundwork</title>" in html
    row = re.search(r'<table id="active-work">.*?</table>', html, re.S).group(0)
    assert f'href="/portal/vendor/jobs/{job.pk}"' in row
    assert requester.organization.name in row
    assert 'value="2"' in row and "2 / 4" in row
    cells = re.findall(r'<td class="num">(\d+)</td>', row)
    assert cells == ["0", "2", "2", "2"]  # live, last hour, last day, backlog
    chart = re.search(r'id="throughput-chart">(<svg.*?</svg>)', html, re.S).group(1)
    assert "<title>1 h ago – now: 2 answers</title>" in chart  # both answers in the last hour's bar


def test_the_dashboard_leaves_finished_work_out(requester, vendor, storage_root):
    # given: every object answered
    subscribe(requester, vendor)
    post_job(requester, vendor, storage_root, lines=[{"source": "only: cat"}])
    answer_next(make_worker(vendor))
    # when
    html = vendor.client().get("/portal/vendor/").content.decode()
    # then
    assert "No work in progress" in html


# --- team -------------------------------------------------------------------------------------


def test_adding_a_worker_shows_its_token_once_and_the_token_works(vendor):
    client = vendor.client()
    # when
    response = client.post("/portal/vendor/team", {"username": "bob", "workteam": vendor.workteam.pk})
    # then
    assert response.status_code == 200
    token = shown_token(response.content.decode())
    worker = Worker.objects.get(username="bob")
    assert worker.vendor_id == vendor.organization.pk
    assert WorkteamMembership.objects.filter(worker=worker, workteam=vendor.workteam).exists()
    assert client_with(token).get(ME_URL).status_code == 200
    assert token not in client.get("/portal/vendor/team").content.decode()  # shown once


def test_a_taken_username_is_an_error_on_the_form_and_creates_nothing(vendor, make_worker):
    make_worker("carol")
    count = Worker.objects.count()
    # when
    response = vendor.client().post("/portal/vendor/team", {"username": "carol", "workteam": vendor.workteam.pk})
    # then
    assert response.status_code == 400
    assert "is already taken" in response.content.decode()
    assert Worker.objects.count() == count


def test_a_bad_username_is_an_error_on_the_form(vendor):
    response = vendor.client().post("/portal/vendor/team", {"username": "a b", "workteam": ""})
    assert response.status_code == 400
    assert "letters, digits" in response.content.decode()
    assert not Worker.objects.filter(vendor=vendor.organization).exists()


def test_revoking_a_token_stops_the_worker_until_a_new_one_is_issued(vendor):
    # given
    worker = make_worker(vendor)
    client = vendor.client()
    # when
    revoked = client.post(f"/portal/vendor/team/workers/{worker.pk}/token/revoke")
    # then
    assert revoked.status_code == 302
    assert worker.client.get(ME_URL).status_code == 401
    assert "revoked" in client.get("/portal/vendor/team").content.decode()
    # when
    issued = client.post(f"/portal/vendor/team/workers/{worker.pk}/token")
    # then
    token = shown_token(issued.content.decode())
    assert client_with(token).get(ME_URL).status_code == 200
    assert worker.client.get(ME_URL).status_code == 401  # the old token stays dead


def test_issuing_a_token_rotates_the_old_one_away(vendor):
    worker = make_worker(vendor)
    token = shown_token(vendor.client().post(f"/portal/vendor/team/workers/{worker.pk}/token").content.decode())
    assert token != worker.token
    assert worker.client.get(ME_URL).status_code == 401
    assert client_with(token).get(ME_URL).status_code == 200


def test_removing_a_worker_keeps_its_live_assignment_submittable(requester, vendor, storage_root):
    # given: the worker holds a live assignment
    subscribe(requester, vendor)
    post_job(requester, vendor, storage_root)
    worker = make_worker(vendor)
    offered = worker.client.post("/api/v1/worker/tasks/next").json()
    # when
    response = vendor.client().post(f"/portal/vendor/team/workers/{worker.pk}/teams/{vendor.workteam.pk}/remove")
    # then
    assert response.status_code == 302
    assert not WorkteamMembership.objects.filter(worker=worker).exists()
    assert worker.client.post("/api/v1/worker/tasks/next").status_code == 204  # no new work
    label = offered["input"]["source"].rsplit(": ", 1)[1]
    submitted = worker.client.post(
        f"/api/v1/worker/assignments/{offered['assignment_id']}/submit", {"answer": {"label": label}}, format="json"
    )
    assert submitted.status_code == 200
    assert Assignment.objects.get(pk=offered["assignment_id"]).status == Assignment.Status.SUBMITTED


def test_a_removed_worker_can_be_added_to_a_team_again(vendor):
    worker = make_worker(vendor)
    other_team = offering_publish(
        vendor=vendor.organization,
        name="Second team",
        task_types=["custom"],
        languages=["en"],
        price="0.10",
        capacity=5,
    ).workteam
    client = vendor.client()
    client.post(f"/portal/vendor/team/workers/{worker.pk}/teams/{vendor.workteam.pk}/remove")
    # when
    response = client.post(f"/portal/vendor/team/workers/{worker.pk}/teams", {"workteam": other_team.pk})
    # then
    assert response.status_code == 302
    assert list(WorkteamMembership.objects.filter(worker=worker).values_list("workteam_id", flat=True)) == [
        other_team.pk
    ]


def test_the_team_page_shows_throughput_live_work_and_quality(requester, vendor, storage_root):
    # given
    subscribe(requester, vendor)
    post_job(requester, vendor, storage_root)
    worker = make_worker(vendor, "dana")
    approve(requester, answer_next(worker))
    answer_next(worker)
    worker.client.post("/api/v1/worker/tasks/next")  # one live
    # when
    html = vendor.client().get("/portal/vendor/team").content.decode()
    # then
    row = re.search(rf'<tr data-worker="{worker.pk}">.*?</tr>', html, re.S).group(0)
    assert re.findall(r'<td class="num">(\d+)</td>', row) == ["2", "2", "1"]  # last hour, last day, live
    assert "100.0 %" in row  # approval rate: 1 approved of 1 reviewed


def test_team_actions_want_a_post(vendor):
    worker = make_worker(vendor)
    client = vendor.client()
    assert client.get(f"/portal/vendor/team/workers/{worker.pk}/token/revoke").status_code == 405
    assert worker.client.get(ME_URL).status_code == 200


# --- earnings and statements -------------------------------------------------------------------


def paid_work(requester, vendor, storage_root, *, approvals: int = 3):
    subscribe(requester, vendor)
    job = post_job(requester, vendor, storage_root)
    worker = make_worker(vendor)
    for _ in range(approvals):
        approve(requester, answer_next(worker))
    return job


def test_earnings_show_totals_per_requester_and_per_job_from_the_ledger(requester, vendor, storage_root):
    # given
    job = paid_work(requester, vendor, storage_root)
    # when
    html = vendor.client().get("/portal/vendor/earnings").content.decode()
    # then
    assert vendor_balance(vendor) == 150_000
    assert 'id="balance">$0.15<' in html
    assert f'<td>{requester.organization.name}</td><td class="num">3</td><td class="num">$0.15</td>' in html
    assert f'href="/portal/vendor/jobs/{job.pk}">job-1</a>' in html


def test_the_statement_csv_reconciles_with_the_ledger(requester, vendor, storage_root):
    # given
    paid_work(requester, vendor, storage_root)
    # when
    response = vendor.client().get("/portal/vendor/earnings/statement.csv")
    # then
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert rows[0]["kind"] == "opening_balance" and rows[-1]["kind"] == "closing_balance"
    entries = rows[1:-1]
    assert [row["kind"] for row in entries] == ["assignment_payment"] * 3
    assert {row["job"] for row in entries} == {"job-1"}
    total = Decimal(rows[0]["balance"]) + sum(Decimal(row["amount"]) for row in entries)
    assert total == Decimal(rows[-1]["balance"]) == Decimal(format_micros(vendor_balance(vendor)))


def test_a_malformed_month_is_the_portal_404(vendor):
    client = vendor.client()
    for month in ("2026-13", "nope", "2026-11\r\nX-Header: 1", "9999-12", "0-1"):
        assert client.get("/portal/vendor/earnings", {"month": month}).status_code == 404
        assert client.get("/portal/vendor/earnings/statement.csv", {"month": month}).status_code == 404


def test_an_empty_month_has_equal_opening_and_closing_balances(requester, vendor, storage_root):
    paid_work(requester, vendor, storage_root, approvals=1)
    rows = list(
        csv.reader(
            io.StringIO(
                vendor.client().get("/portal/vendor/earnings/statement.csv", {"month": "2099-01"}).content.decode()
            )
        )
    )
    assert [row[2] for row in rows[1:]] == ["opening_balance", "closing_balance"]
    assert rows[1][10] == rows[2][10] == "0.05"


def test_a_vendor_requests_a_payout_of_its_earnings_and_too_much_is_refused(requester, vendor, storage_root, settings):
    # given: three paid assignments, and no payout minimum in the way
    settings.GROUNDWORK = {**settings.GROUNDWORK, "PAYOUT_MINIMUM_MICROS": 1}
    paid_work(requester, vendor, storage_root)
    earned = vendor_balance(vendor)
    client = vendor.client()
    # when: more than the balance, then a malformed amount, then all of it
    too_much = client.post("/portal/vendor/earnings/payouts", {"amount": format_micros(earned + 1)})
    malformed = client.post("/portal/vendor/earnings/payouts", {"amount": "=1+1"})
    # then: refused on the page, nothing moved
    assert too_much.status_code == 400 and "the earnings balance holds" in too_much.content.decode()
    assert malformed.status_code == 400 and "decimal" in malformed.content.decode()
    assert Payout.objects.count() == 0 and vendor_balance(vendor) == earned


def test_a_payout_request_moves_the_balance_and_is_listed(requester, vendor, storage_root, settings):
    settings.GROUNDWORK = {**settings.GROUNDWORK, "PAYOUT_MINIMUM_MICROS": 1}
    paid_work(requester, vendor, storage_root)
    earned = vendor_balance(vendor)
    client = vendor.client()
    response = client.post("/portal/vendor/earnings/payouts", {"amount": format_micros(earned)})
    assert response.status_code == 302
    payout = Payout.objects.get()
    assert (payout.vendor_id, payout.amount_micros, payout.status) == (vendor.organization.pk, earned, "requested")
    assert vendor_balance(vendor) == 0
    page = client.get("/portal/vendor/earnings").content.decode()
    assert f"<td>{payout.pk}</td>" in page and "requested" in page
