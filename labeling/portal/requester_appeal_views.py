"""The requester's Appeals page: workers' appeals of its rejections, open ones first to decide
(accept, or decline with a reply), then the latest decided.

Thin, over the services and declarations of ``/api/v1/appeals``: a decision is validated with
the API's own declaration (``AppealAccept`` / ``AppealDecline``) and made by the same service,
so the page refuses what the API refuses, with the same words.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from marketplace.errors import DomainError
from marketplace.inputs import validate
from marketplace.inputs.appeals import AppealAccept, AppealDecline
from marketplace.models import Appeal, Organization
from marketplace.money import format_micros
from marketplace.selectors.appeals import requester_appeals
from marketplace.services.appeals import MAX_APPEAL_REPLY_LENGTH, appeal_accept, appeal_decline

from .auth import PortalRequest, portal_page

REQUESTER = Organization.Kind.REQUESTER
OPEN_SHOWN = 200
DECIDED_SHOWN = 50


@portal_page(REQUESTER)
def appeals(request: PortalRequest) -> HttpResponse:
    """Open appeals, oldest first (the first waiting longest), each with the answer, the
    rejection's feedback and the worker's message; the latest decided below."""
    open_appeals = list(requester_appeals(request.organization, status=Appeal.Status.OPEN).order_by("pk")[:OPEN_SHOWN])
    decided = list(
        requester_appeals(request.organization)
        .exclude(status=Appeal.Status.OPEN)
        .order_by("-decided_at", "-pk")[:DECIDED_SHOWN]
    )
    for appeal in open_appeals:
        # the answer as the API returns it, indented: the requester's own task's answer format
        appeal.answer_text = json.dumps(appeal.assignment.answer, indent=2, ensure_ascii=False)  # type: ignore[attr-defined]
        appeal.reward_text = format_micros(appeal.assignment.task.reward_micros)  # type: ignore[attr-defined]
    return render(
        request,
        "portal/requester/appeals.html",
        {
            "section": "appeals",
            "open_appeals": open_appeals,
            "decided": decided,
            "open_shown": OPEN_SHOWN,
            "decided_shown": DECIDED_SHOWN,
            "max_reply_length": MAX_APPEAL_REPLY_LENGTH,
        },
    )


@require_POST
@portal_page(REQUESTER)
def appeal_decide(request: PortalRequest, appeal_id: int, decision: str) -> HttpResponse:
    """Accept (the assignment approved and paid) or decline (a reply required) one appeal, as
    ``POST /api/v1/appeals/{id}/accept|decline``; back to the list with what happened."""
    body = {"reply": request.POST.get("reply", "")}
    try:
        if decision == "accept":
            appeal = appeal_accept(
                requester=request.organization, appeal_id=appeal_id, reply=validate(AppealAccept, body).reply
            )
            messages.success(
                request, f"Appeal {appeal.pk} accepted: assignment {appeal.assignment_id} is approved and paid."
            )
        else:
            appeal = appeal_decline(
                requester=request.organization, appeal_id=appeal_id, reply=validate(AppealDecline, body).reply
            )
            messages.success(request, f"Appeal {appeal.pk} declined; the worker has your reply.")
    except DomainError as error:
        if "reply" in error.fields:
            text = f"Appeal {appeal_id} not decided: the reply {error.fields['reply'][0]}."
        else:
            text = f"Appeal {appeal_id} not decided: {error.message}"
        messages.error(request, text)
    return redirect("portal:requester_appeals")
