"""The landing page at ``/``: where a person who opened the server's address goes next."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt

from marketplace.api.errors import error_body


@csrf_exempt  # it changes nothing; a POST gets the JSON 405 below, not a CSRF page
def landing_page(request: HttpRequest) -> HttpResponse:
    """Links to the worker console, the portal, the API docs and the health checks. Other
    methods than GET and HEAD get the JSON 405 every other URL answers them with."""
    if request.method not in ("GET", "HEAD"):
        response = JsonResponse(error_body("method_not_allowed", f"method {request.method} not allowed"), status=405)
        response["Allow"] = "GET, HEAD"
        return response
    return render(request, "landing.html")
