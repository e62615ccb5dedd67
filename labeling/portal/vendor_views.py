"""Vendor admin pages."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from marketplace.models import Organization

from .auth import portal_page


@portal_page(Organization.Kind.VENDOR)
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/vendor/dashboard.html", {"section": "dashboard"})
