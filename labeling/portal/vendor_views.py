"""Vendor admin pages: dashboard, team, earnings and statements (offerings and subscriptions in
``vendor_offering_views``). Thin: each view fetches through an ``access_*`` function, calls
services (writes) and selectors (reads), renders. A ``DomainError`` from a service is shown on the page."""

from __future__ import annotations

from typing import cast

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from marketplace.access import access_worker_of_vendor, access_workteam_of_vendor
from marketplace.errors import DomainError, NotFound
from marketplace.models import LedgerAccount, Organization
from marketplace.money import format_micros
from marketplace.selectors import vendor_earnings
from marketplace.selectors.ledger import account_balance_micros, vendor_recent_payouts
from marketplace.selectors.offerings import vendor_listed_offerings
from marketplace.selectors.vendors import vendor_active_work, vendor_team, vendor_throughput, vendor_workteams
from marketplace.selectors.workteams import vendor_team_size, workteam_live_assignments
from marketplace.services import payouts
from marketplace.services.workers import vendor_worker_create, worker_token_revoke, worker_token_rotate
from marketplace.services.workteams import workteam_add_member, workteam_remove_member

from ..selectors.jobs import jobs_by_batch
from . import svg
from .auth import PortalRequest, portal_page
from .words import percent, time_until

VENDOR = Organization.Kind.VENDOR


# --- dashboard ---------------------------------------------------------------------------------


@portal_page(VENDOR)
def dashboard(request: PortalRequest) -> HttpResponse:
    """Work in progress on the vendor's teams, with the team and earnings at a glance."""
    vendor = request.organization
    now = timezone.now()
    work = vendor_active_work(vendor, now=now)
    jobs = jobs_by_batch(item.batch_id for item in work)
    month = vendor_earnings.monthly_statement(vendor, vendor_earnings.current_month(now))
    throughput = vendor_throughput(vendor, now=now)
    listed = vendor_listed_offerings(vendor)
    context = {
        "section": "dashboard",
        "work": [
            {"item": item, "job": jobs.get(item.batch_id), "time_left": time_until(item.next_expiry, now)}
            for item in work
        ],
        "capacity": [
            {"offering": offering, "in_use": workteam_live_assignments(offering.workteam_id)} for offering in listed
        ],
        "team_size": vendor_team_size(vendor),
        "live_total": sum(item.figures.live for item in work),
        "throughput": throughput,
        "earned_this_month": format_micros(month.earned_micros),
        "throughput_chart": svg.histogram_svg(
            list(throughput.by_hour),
            list(range(-24, 1)),
            title="Answers per hour, last 24 hours",
            noun="answer",
            edge_labels=[f"{hours} h ago" if hours else "now" for hours in range(24, -1, -1)],
            empty_message="No answers in the last 24 hours",
        ),
        "balance": format_micros(account_balance_micros(LedgerAccount.Kind.VENDOR_EARNINGS, organization=vendor)),
    }
    return render(request, "portal/vendor/dashboard.html", context)


# --- team --------------------------------------------------------------------------------------


class WorkerCreateForm(forms.Form):
    username = forms.CharField(max_length=150, help_text="3 to 150 characters: letters, digits and _ . @ + -")
    workteam = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)

    def __init__(self, *args, workteams=(), **kwargs):
        super().__init__(*args, **kwargs)
        field = cast(forms.TypedChoiceField, self.fields["workteam"])
        field.choices = [("", "(no team yet)")] + [(team.pk, team.name) for team in workteams]


def _team_page(
    request: PortalRequest, *, form: WorkerCreateForm | None = None, new_token: dict | None = None, status: int = 200
) -> HttpResponse:
    vendor = request.organization
    workteams = vendor_workteams(vendor)
    names = {team.pk: team.name for team in workteams}
    members = [
        {
            "member": member,
            "teams": [(team_id, names.get(team_id, "")) for team_id in member.workteam_ids],
            "other_teams": [team for team in workteams if team.pk not in member.workteam_ids],
            "quality_score": percent(member.accuracy),
            "approval_rate": percent(member.approval_rate),
        }
        for member in vendor_team(vendor, now=timezone.now())
    ]
    context = {
        "section": "team",
        "members": members,
        "workteams": workteams,
        "new_token": new_token,
        "form": form or WorkerCreateForm(workteams=workteams),
    }
    return render(request, "portal/vendor/team.html", context, status=status)


def _show_error(form: forms.Form, error: DomainError) -> None:
    """A service's field errors on the form's fields (or on the form when it has no such field)."""
    if not error.fields:
        form.add_error(None, error.message)
    for field, problems in error.fields.items():
        for problem in problems:
            form.add_error(field if field in form.fields else None, problem)


@portal_page(VENDOR)
def team(request: PortalRequest) -> HttpResponse:
    """The team: managed workers, their teams, tokens, throughput and quality; POST creates a
    worker and shows its token once."""
    if request.method != "POST":
        return _team_page(request)
    vendor = request.organization
    form = WorkerCreateForm(request.POST, workteams=vendor_workteams(vendor))
    if not form.is_valid():
        return _team_page(request, form=form, status=400)
    try:
        workteam = (
            access_workteam_of_vendor(vendor, form.cleaned_data["workteam"]) if form.cleaned_data["workteam"] else None
        )
        worker, token = vendor_worker_create(vendor=vendor, username=form.cleaned_data["username"], workteam=workteam)
    except NotFound:
        form.add_error("workteam", "No such workteam.")
        return _team_page(request, form=form, status=400)
    except DomainError as error:
        _show_error(form, error)
        return _team_page(request, form=form, status=400)
    return _team_page(request, new_token={"username": worker.username, "worker_id": worker.pk, "token": token})


@portal_page(VENDOR)
@require_POST
def worker_token_issue(request: PortalRequest, worker_id: int) -> HttpResponse:
    """Issue a new token (the old one stops working) and show it once."""
    worker = access_worker_of_vendor(request.organization, worker_id)
    token = worker_token_rotate(worker=worker)
    return _team_page(request, new_token={"username": worker.username, "worker_id": worker.pk, "token": token})


@portal_page(VENDOR)
@require_POST
def worker_token_revoke_view(request: PortalRequest, worker_id: int) -> HttpResponse:
    worker = access_worker_of_vendor(request.organization, worker_id)
    worker_token_revoke(worker=worker)
    messages.success(request, f"{worker.username} can no longer sign in until you issue a new token.")
    return redirect("portal:vendor_team")


@portal_page(VENDOR)
@require_POST
def worker_team_add(request: PortalRequest, worker_id: int) -> HttpResponse:
    worker = access_worker_of_vendor(request.organization, worker_id)
    workteam = access_workteam_of_vendor(request.organization, request.POST.get("workteam"))
    workteam_add_member(workteam=workteam, worker=worker)
    messages.success(request, f"{worker.username} joined {workteam.name}.")
    return redirect("portal:vendor_team")


@portal_page(VENDOR)
@require_POST
def worker_team_remove(request: PortalRequest, worker_id: int, workteam_id: int) -> HttpResponse:
    """Remove a worker from one team; its live assignments continue until submitted or expired."""
    worker = access_worker_of_vendor(request.organization, worker_id)
    workteam = access_workteam_of_vendor(request.organization, workteam_id)
    workteam_remove_member(workteam=workteam, worker_id=worker.pk)
    messages.success(request, f"{worker.username} left {workteam.name}; work it holds continues.")
    return redirect("portal:vendor_team")


# --- earnings ----------------------------------------------------------------------------------


def _statement(request: PortalRequest):
    """The month asked for (``?month=2026-11``, default the current one; normalised) and its
    statement; a malformed month is the portal's 404."""
    month = request.GET.get("month") or vendor_earnings.current_month(timezone.now())
    try:
        statement = vendor_earnings.monthly_statement(request.organization, month)
    except DomainError:
        raise NotFound(f"no statement for {month!r}") from None
    return statement.month, statement


@portal_page(VENDOR)
def earnings(request: PortalRequest) -> HttpResponse:
    """Earnings per requester and per job, the balance, the month's statement and payouts."""
    return _earnings_page(request)


RECENT_PAYOUTS = 20


def _earnings_page(request: PortalRequest, *, payout_form: forms.Form | None = None, status: int = 200) -> HttpResponse:
    vendor = request.organization
    month, statement = _statement(request)
    by_batch = vendor_earnings.earnings_by_batch(vendor)
    jobs = jobs_by_batch(row.key_id for row in by_batch)
    jobs.update(jobs_by_batch(line.batch_id for line in statement.lines))
    context = {
        "section": "earnings",
        "balance": format_micros(account_balance_micros(LedgerAccount.Kind.VENDOR_EARNINGS, organization=vendor)),
        "earned_total": format_micros(vendor_earnings.earned_total_micros(vendor)),
        "by_requester": vendor_earnings.earnings_by_requester(vendor),
        "by_batch": [{"row": row, "job": jobs.get(row.key_id)} for row in by_batch],
        "months": vendor_earnings.statement_months(vendor, now=timezone.now()),
        "month": month,
        "statement": statement,
        "opening": format_micros(statement.opening_micros),
        "closing": format_micros(statement.closing_micros),
        "earned": format_micros(statement.earned_micros),
        "paid_out": format_micros(statement.paid_out_micros),
        "lines": [
            {
                "line": line,
                "amount": format_micros(line.amount_micros),
                "balance": format_micros(line.balance_micros),
                "job": jobs.get(line.batch_id),
            }
            for line in statement.lines
        ],
        "payout_form": payout_form or PayoutRequestForm(),
        "payouts": [
            {"payout": payout, "amount": format_micros(payout.amount_micros)}
            for payout in vendor_recent_payouts(vendor, limit=RECENT_PAYOUTS)
        ],
    }
    return render(request, "portal/vendor/earnings.html", context, status=status)


class PayoutRequestForm(forms.Form):
    amount = forms.CharField(max_length=32, help_text='USD, e.g. "125.50"')


@portal_page(VENDOR)
@require_POST
def payout_request(request: PortalRequest) -> HttpResponse:
    """Ask to be paid some of the earnings balance (an operator approves and pays it; see
    docs/payments.md). A refused amount is shown on the form, and nothing moves."""
    form = PayoutRequestForm(request.POST)
    if form.is_valid():
        try:
            payout = payouts.payout_request(amount=form.cleaned_data["amount"], vendor=request.organization)
        except DomainError as error:
            _show_error(form, error)
        else:
            messages.success(request, f"Payout {payout.pk} of ${format_micros(payout.amount_micros)} requested.")
            return redirect("portal:vendor_earnings")
    return _earnings_page(request, payout_form=form, status=400)


@portal_page(VENDOR)
def statement_csv(request: PortalRequest) -> HttpResponse:
    """The month's statement as CSV (every text cell spreadsheet-safe)."""
    month, statement = _statement(request)
    jobs = jobs_by_batch(line.batch_id for line in statement.lines)
    names = {batch_id: job.name for batch_id, job in jobs.items() if batch_id is not None}
    response = HttpResponse(vendor_earnings.statement_csv(statement, names), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="statement-{month}.csv"'
    return response
