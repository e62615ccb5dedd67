"""Requester admin pages: the jobs dashboard and the private workteams (members, their quality
and live work, email invitations). Thin: each view fetches through ``access_*``, calls
services (writes) and selectors (reads), renders; domain errors become form errors on the page."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from marketplace.access import access_email_invitation, access_workteam, access_workteam_member
from marketplace.errors import DomainError, NotFound
from marketplace.models import Organization, Workteam
from marketplace.money import format_micros
from marketplace.selectors.ledger import requester_balance
from marketplace.selectors.workteams import (
    private_workteams,
    team_invitations,
    team_members,
    workteam_live_assignments,
)
from marketplace.services.email_invitations import email_invitation_create, email_invitation_revoke
from marketplace.services.workteams import workteam_create, workteam_remove_member

from ..selectors.jobs import requester_api_batches, requester_job_status_counts, requester_jobs
from .auth import PortalRequest, portal_page

REQUESTER = Organization.Kind.REQUESTER


class WorkteamForm(forms.Form):
    name = forms.CharField(max_length=200, label="Team name")


class InviteForm(forms.Form):
    email = forms.EmailField(max_length=254, label="Email address")


def accept_url_for(request: HttpRequest):
    """Builds an invitation's link: ``PUBLIC_BASE_URL`` when set (production should set it, so
    links never depend on the Host header), else this request's origin."""
    base = settings.PUBLIC_BASE_URL or request.build_absolute_uri("/").rstrip("/")
    return lambda token: base + reverse("portal:join", args=[token])


@portal_page(REQUESTER)
def dashboard(request: PortalRequest) -> HttpResponse:
    """The requester's balance, its labeling jobs (status and progress, each linking to its job
    page) and the batches it posted through the tasks API."""
    counts = requester_job_status_counts(request.organization)
    balance = requester_balance(request.organization)
    return render(
        request,
        "portal/requester/dashboard.html",
        {
            "section": "dashboard",
            "available": format_micros(balance.available_micros),
            "on_hold": format_micros(balance.on_hold_micros),
            "jobs": requester_jobs(request.organization),
            "batches": requester_api_batches(request.organization),
            "active_jobs": sum(counts[status] for status in ("initializing", "in_progress", "stopping")),
            "completed_jobs": counts["completed"],
            "ended_other_jobs": counts["stopped"] + counts["failed"],
            "teams": private_workteams(request.organization).count(),
        },
    )


@portal_page(REQUESTER)
def teams(request: PortalRequest) -> HttpResponse:
    """The requester's private workteams; POST creates one."""
    form = WorkteamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            workteam = workteam_create(owner=request.organization, name=form.cleaned_data["name"])
        except DomainError as error:
            form.add_error("name", error.message)
        else:
            messages.success(request, f"Team “{workteam.name}” created.")
            return redirect("portal:requester_team", workteam.pk)
    return render(
        request,
        "portal/requester/teams.html",
        {
            "section": "teams",
            "form": form,
            "teams": private_workteams(request.organization),
        },
        status=400 if form.errors else 200,
    )


def _private_team(request: PortalRequest, workteam_id: int) -> Workteam:
    workteam = access_workteam(request.organization, workteam_id)
    if workteam.kind != Workteam.Kind.PRIVATE:  # a requester owns only private teams; be sure
        raise NotFound(f"workteam {workteam_id} not found")
    return workteam


def _team_page(request: HttpRequest, workteam: Workteam, invite_form: InviteForm, *, status: int = 200):
    return render(
        request,
        "portal/requester/team.html",
        {
            "section": "teams",
            "team": workteam,
            "members": team_members(workteam),
            "live_assignment_count": workteam_live_assignments(workteam.pk),
            "invitations": team_invitations(workteam),
            "invite_form": invite_form,
            "lifetime_days": round(settings.INVITATION_LIFETIME_SECONDS / 86400, 1),
        },
        status=status,
    )


@portal_page(REQUESTER)
def team(request: PortalRequest, workteam_id: int) -> HttpResponse:
    """One private team: members with quality and live work, the invite form, invitations."""
    return _team_page(request, _private_team(request, workteam_id), InviteForm())


@require_POST
@portal_page(REQUESTER)
def team_invite(request: PortalRequest, workteam_id: int) -> HttpResponse:
    """Emails an invitation link to the address; errors are shown on the team page."""
    workteam = _private_team(request, workteam_id)
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            invitation = email_invitation_create(
                workteam=workteam,
                email=form.cleaned_data["email"],
                accept_url=accept_url_for(request),
                created_by=request.user,
            )
        except DomainError as error:
            form.add_error("email", error.message)
        else:
            messages.success(request, f"Invitation sent to {invitation.email}.")
            return redirect("portal:requester_team", workteam.pk)
    return _team_page(request, workteam, form, status=400)


@require_POST
@portal_page(REQUESTER)
def team_invitation_revoke(request: PortalRequest, workteam_id: int, invitation_id: int) -> HttpResponse:
    workteam = _private_team(request, workteam_id)
    invitation = access_email_invitation(request.organization, workteam, invitation_id)
    try:
        email_invitation_revoke(invitation=invitation)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Invitation to {invitation.email} withdrawn.")
    return redirect("portal:requester_team", workteam.pk)


@require_POST
@portal_page(REQUESTER)
def team_member_remove(request: PortalRequest, workteam_id: int, worker_id: int) -> HttpResponse:
    """Removes a member; its live assignments stay live until submitted or expired."""
    workteam = _private_team(request, workteam_id)
    worker = access_workteam_member(workteam, worker_id)
    workteam_remove_member(workteam=workteam, worker_id=worker.pk)
    messages.success(request, f"{worker.username} removed from the team; work already claimed can still be submitted.")
    return redirect("portal:requester_team", workteam.pk)
