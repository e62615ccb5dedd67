"""Vendor admin pages for offerings (publish, edit, withdraw) and requesters' subscriptions to
them (accept, decline, cancel). Thin over ``marketplace.services.vendors`` (writes) and
``marketplace.selectors.offerings`` (reads); its field errors are shown on the form, its
conflicts as a message."""

from __future__ import annotations

from typing import cast

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from marketplace.access import access_offering_as_vendor, access_subscription_as_vendor
from marketplace.errors import Conflict, DomainError
from marketplace.models import Organization, VendorOffering
from marketplace.money import format_micros
from marketplace.selectors.offerings import vendor_offerings, vendor_subscriptions
from marketplace.selectors.workteams import workteam_live_assignments
from marketplace.services import vendors

from .auth import PortalRequest, portal_page
from .words import word

VENDOR = Organization.Kind.VENDOR


class OfferingForm(forms.Form):
    """The fields of ``offering_publish``; the service validates (one place for the rules), this
    form only shapes the input."""

    name = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    task_types = forms.MultipleChoiceField(widget=forms.CheckboxSelectMultiple)
    languages = forms.CharField(help_text='comma-separated language tags, such as "en, pt-BR"')
    price = forms.CharField(help_text="USD per assignment, such as 0.08 (the requester also pays the platform fee)")
    capacity = forms.IntegerField(min_value=1, help_text="the most live assignments your team takes at once")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = cast(forms.MultipleChoiceField, self.fields["task_types"])
        field.choices = [(name, word(name)) for name in vendors.task_type_choices()]

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "description": data["description"],
            "task_types": data["task_types"],
            "languages": [tag.strip() for tag in data["languages"].split(",") if tag.strip()],
            "price": data["price"].strip(),
            "capacity": data["capacity"],
        }

    def show(self, error: DomainError) -> None:
        """A service error on the fields it names (the form's own when it names none)."""
        if not error.fields:
            self.add_error(None, error.message)
        for field, problems in error.fields.items():
            for problem in problems:
                self.add_error(field if field in self.fields else None, problem)


def _initial(offering: VendorOffering) -> dict:
    return {
        "name": offering.name,
        "description": offering.description,
        "task_types": offering.task_types,
        "languages": ", ".join(offering.languages),
        "price": format_micros(offering.price_micros),
        "capacity": offering.capacity,
    }


def _offerings_page(request: PortalRequest, form: OfferingForm, *, status: int = 200) -> HttpResponse:
    rows = [
        {
            "offering": offering,
            "price": format_micros(offering.price_micros),
            "in_use": workteam_live_assignments(offering.workteam_id),
        }
        for offering in vendor_offerings(request.organization)
    ]
    return render(
        request, "portal/vendor/offerings.html", {"section": "offerings", "rows": rows, "form": form}, status=status
    )


@portal_page(VENDOR)
def offerings(request: PortalRequest) -> HttpResponse:
    """The vendor's offerings with the capacity in use; POST publishes a new one."""
    if request.method != "POST":
        return _offerings_page(request, OfferingForm())
    form = OfferingForm(request.POST)
    if not form.is_valid():
        return _offerings_page(request, form, status=400)
    try:
        offering = vendors.offering_publish(vendor=request.organization, **form.service_arguments())
    except DomainError as error:
        form.show(error)
        return _offerings_page(request, form, status=400)
    messages.success(request, f"Published {offering.name}.")
    return redirect("portal:vendor_offerings")


@portal_page(VENDOR)
def offering_edit(request: PortalRequest, offering_id: int) -> HttpResponse:
    offering = access_offering_as_vendor(request.organization, offering_id)
    form = OfferingForm(request.POST or None, initial=_initial(offering))
    if request.method == "POST" and form.is_valid():
        try:
            vendors.offering_update(offering=offering, **form.service_arguments())
        except DomainError as error:
            form.show(error)
        else:
            messages.success(request, f"Saved {offering.name}.")
            return redirect("portal:vendor_offerings")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "portal/vendor/offering_edit.html",
        {"section": "offerings", "offering": offering, "form": form},
        status=status,
    )


@portal_page(VENDOR)
@require_POST
def offering_withdraw(request: PortalRequest, offering_id: int) -> HttpResponse:
    offering = vendors.offering_withdraw(offering=access_offering_as_vendor(request.organization, offering_id))
    messages.success(request, f"Withdrew {offering.name}: work already posted goes on.")
    return redirect("portal:vendor_offerings")


@portal_page(VENDOR)
def subscriptions(request: PortalRequest) -> HttpResponse:
    """Requesters' subscriptions to the vendor's offerings, pending ones first."""
    return render(
        request,
        "portal/vendor/subscriptions.html",
        {"section": "subscriptions", "subscriptions": vendor_subscriptions(request.organization)},
    )


def _decide(request: PortalRequest, subscription_id: int, decide, done: str) -> HttpResponse:
    subscription = access_subscription_as_vendor(request.organization, subscription_id)
    try:
        decide(subscription=subscription)
    except Conflict as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{done} the subscription of {subscription.requester.name}.")
    return redirect("portal:vendor_subscriptions")


@portal_page(VENDOR)
@require_POST
def subscription_accept(request: PortalRequest, subscription_id: int) -> HttpResponse:
    return _decide(request, subscription_id, vendors.subscription_accept, "Accepted")


@portal_page(VENDOR)
@require_POST
def subscription_decline(request: PortalRequest, subscription_id: int) -> HttpResponse:
    return _decide(request, subscription_id, vendors.subscription_decline, "Declined")


@portal_page(VENDOR)
@require_POST
def subscription_cancel(request: PortalRequest, subscription_id: int) -> HttpResponse:
    return _decide(request, subscription_id, vendors.subscription_cancel, "Cancelled")
