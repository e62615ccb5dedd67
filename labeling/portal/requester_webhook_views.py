"""Requester pages for webhooks: the endpoints (add, disable and enable, delete), and one
endpoint's page (its recent deliveries with their attempts, redelivery, the secret's rotation).

Thin, over the services and declarations of ``/api/v1/webhook-endpoints``: the add form builds
that operation's body and validates it with the same declaration (``WebhookEndpointCreate``),
so a URL or an event list the API refuses is refused here with the same words, on its field. A
new signing secret is shown once, on the page that answers the form that made it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from marketplace.access import access_event, access_webhook_endpoint
from marketplace.errors import DomainError
from marketplace.events.outbox import EVENT_TYPES
from marketplace.inputs import validate
from marketplace.inputs.webhooks import DEFAULT_OVERLAP_SECONDS, WebhookEndpointCreate
from marketplace.models import Organization, WebhookEndpoint
from marketplace.models.events import ALL_EVENTS
from marketplace.selectors.webhooks import (
    endpoint_delivery_counts,
    recent_endpoint_deliveries,
    webhook_endpoints_overview,
)
from marketplace.services.webhook_endpoints import (
    EndpointWithSecret,
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_redeliver_since,
    webhook_endpoint_rotate_secret,
    webhook_endpoint_update,
    webhook_event_redeliver,
)

from .auth import PortalRequest, portal_page
from .words import count_noun

REQUESTER = Organization.Kind.REQUESTER
RECENT_DELIVERIES = 50

STATUS_WORDS = {
    "": "Active",
    WebhookEndpoint.DisabledReason.REQUESTER: "Disabled by you",
    WebhookEndpoint.DisabledReason.GONE: "Disabled: the receiver answered 410 Gone",
    WebhookEndpoint.DisabledReason.FAILING: "Disabled: every delivery failed for the whole retry period",
}
OVERLAP_CHOICES = [
    (0, "Stop the old secret now"),
    (3600, "Keep the old secret signing for 1 hour"),
    (DEFAULT_OVERLAP_SECONDS, "Keep the old secret signing for 24 hours"),
    (7 * 86400, "Keep the old secret signing for 7 days"),
]
# Where the declaration's message names the API's shape, the words the form uses instead.
FORM_MESSAGES = {"events": "Choose at least one event type, or all events."}


class EndpointForm(forms.Form):
    """The body of ``POST /api/v1/webhook-endpoints``: nothing is checked here beyond the form's
    shape; the declaration and the service are the rules, their errors land on these fields."""

    url = forms.CharField(required=False, label="URL", help_text="https://, on an address reachable from the internet.")
    events = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(ALL_EVENTS, "All events (those added later too)")] + [(name, name) for name in EVENT_TYPES],
        label="Events",
    )
    description = forms.CharField(required=False, label="Description (optional)")

    def body(self) -> dict:
        data = self.cleaned_data
        events = data.get("events") or []
        # "All events" alone is what ticking it means, whatever else was ticked with it.
        return {
            "url": data.get("url", "").strip(),
            "events": [ALL_EVENTS] if ALL_EVENTS in events else events,
            "description": data.get("description", "").strip(),
        }


class RotateForm(forms.Form):
    overlap_seconds = forms.TypedChoiceField(
        choices=OVERLAP_CHOICES, coerce=int, initial=DEFAULT_OVERLAP_SECONDS, label="Old secret"
    )


class RedeliverSinceForm(forms.Form):
    since = forms.DateTimeField(
        label="Since (UTC)",
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def clean_since(self) -> datetime:
        # The form's times are UTC, as the page says (not the server's or the browser's zone).
        since: datetime = self.cleaned_data["since"]
        return since.replace(tzinfo=UTC) if timezone.is_naive(since) else since.astimezone(UTC)


def _show_errors(form: forms.Form, error: DomainError) -> None:
    if not error.fields:
        form.add_error(None, error.message)
    for path, problems in error.fields.items():
        field = path.split(".", 1)[0]
        for problem in problems:
            if field in form.fields:
                form.add_error(field, FORM_MESSAGES.get(field, problem))
            else:
                form.add_error(None, f"{path}: {problem}")


def _status(endpoint: WebhookEndpoint) -> str:
    return STATUS_WORDS["" if endpoint.is_active else endpoint.disabled_reason]


def _list_page(
    request: PortalRequest, form: EndpointForm, *, created: EndpointWithSecret | None = None, status: int = 200
) -> HttpResponse:
    endpoints = list(webhook_endpoints_overview(request.organization))
    for endpoint in endpoints:
        endpoint.status_words = _status(endpoint)  # type: ignore[attr-defined]
    return render(
        request,
        "portal/requester/webhooks.html",
        {"section": "webhooks", "endpoints": endpoints, "form": form, "created": created},
        status=status,
    )


@portal_page(REQUESTER)
def webhooks(request: PortalRequest) -> HttpResponse:
    """The organization's endpoints with their status and deliveries waiting or failed; POST
    registers one (as ``POST /api/v1/webhook-endpoints``) and shows its secret once."""
    form = EndpointForm(request.POST or None)
    if request.method != "POST":
        return _list_page(request, form)
    if not form.is_valid():
        return _list_page(request, form, status=400)
    try:
        spec = validate(WebhookEndpointCreate, form.body())
        created = webhook_endpoint_create(
            organization=request.organization, url=spec.url, events=spec.events, description=spec.description
        )
    except DomainError as error:
        _show_errors(form, error)
        return _list_page(request, form, status=400)
    return _list_page(request, EndpointForm(), created=created)


def _endpoint_page(
    request: PortalRequest,
    endpoint: WebhookEndpoint,
    *,
    new_secret: str | None = None,
    since_form: RedeliverSinceForm | None = None,
    status: int = 200,
) -> HttpResponse:
    now = timezone.now()
    overlap_ends = endpoint.previous_secret_expires_at
    return render(
        request,
        "portal/requester/webhook.html",
        {
            "section": "webhooks",
            "endpoint": endpoint,
            "status_words": _status(endpoint),
            "counts": endpoint_delivery_counts(endpoint),
            "deliveries": recent_endpoint_deliveries(endpoint, limit=RECENT_DELIVERIES),
            "recent_limit": RECENT_DELIVERIES,
            "new_secret": new_secret,
            "overlap_ends": overlap_ends
            if endpoint.previous_secret_encrypted and overlap_ends and overlap_ends > now
            else None,
            "rotate_form": RotateForm(),
            "since_form": since_form or RedeliverSinceForm(),
        },
        status=status,
    )


@portal_page(REQUESTER)
def webhook(request: PortalRequest, endpoint_id: int) -> HttpResponse:
    """One endpoint: its settings and status, delivery counts, its latest 50 deliveries with
    their attempts (each redeliverable), the secret's rotation and redelivery since a time."""
    return _endpoint_page(request, access_webhook_endpoint(request.organization, endpoint_id))


@require_POST
@portal_page(REQUESTER)
def webhook_active(request: PortalRequest, endpoint_id: int) -> HttpResponse:
    """Disable (``active=0``) or enable (``active=1``) the endpoint; back to where the form was."""
    endpoint = access_webhook_endpoint(request.organization, endpoint_id)
    enable = request.POST.get("active") == "1"
    webhook_endpoint_update(endpoint=endpoint, is_active=enable)
    messages.success(
        request,
        f"{endpoint.url} enabled: deliveries resume."
        if enable
        else f"{endpoint.url} disabled: nothing is sent to it until you enable it.",
    )
    if request.POST.get("next") == "list":
        return redirect("portal:requester_webhooks")
    return redirect("portal:requester_webhook", endpoint.pk)


@require_POST
@portal_page(REQUESTER)
def webhook_delete(request: PortalRequest, endpoint_id: int) -> HttpResponse:
    endpoint = access_webhook_endpoint(request.organization, endpoint_id)
    webhook_endpoint_delete(endpoint=endpoint)
    messages.success(request, f"{endpoint.url} deleted with its delivery log.")
    return redirect("portal:requester_webhooks")


@require_POST
@portal_page(REQUESTER)
def webhook_rotate(request: PortalRequest, endpoint_id: int) -> HttpResponse:
    """A new signing secret, shown once on the page this answers."""
    endpoint = access_webhook_endpoint(request.organization, endpoint_id)
    form = RotateForm(request.POST)
    overlap = form.cleaned_data["overlap_seconds"] if form.is_valid() else DEFAULT_OVERLAP_SECONDS
    rotated = webhook_endpoint_rotate_secret(endpoint=endpoint, overlap_seconds=overlap)
    return _endpoint_page(request, rotated.endpoint, new_secret=rotated.secret)


@require_POST
@portal_page(REQUESTER)
def webhook_redeliver_event(request: PortalRequest, endpoint_id: int, event_id: str) -> HttpResponse:
    """Send one event to this endpoint again."""
    endpoint = access_webhook_endpoint(request.organization, endpoint_id)
    event = access_event(request.organization, event_id)
    try:
        webhook_event_redeliver(event=event, endpoint=endpoint)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Event {event.public_id} ({event.type}) will be sent again.")
    return redirect("portal:requester_webhook", endpoint.pk)


@require_POST
@portal_page(REQUESTER)
def webhook_redeliver_since(request: PortalRequest, endpoint_id: int) -> HttpResponse:
    """Send this endpoint again every event since the time given (UTC)."""
    endpoint = access_webhook_endpoint(request.organization, endpoint_id)
    form = RedeliverSinceForm(request.POST)
    if form.is_valid():
        try:
            count = webhook_endpoint_redeliver_since(endpoint=endpoint, since=form.cleaned_data["since"])
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            since = form.cleaned_data["since"].strftime("%Y-%m-%d %H:%M")
            messages.success(request, f"{count_noun(count, 'event')} since {since} UTC will be sent again.")
            return redirect("portal:requester_webhook", endpoint.pk)
    return _endpoint_page(request, endpoint, since_form=form, status=400)
