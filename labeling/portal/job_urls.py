"""Job pages, one per side (``job_views``); the URL names are what other pages link to."""

from django.urls import path

import marketplace.api.urls  # noqa: F401  registers the <id:> converter

from . import job_views as v
from . import preview_views as p

urlpatterns = [
    path("vendor/jobs/<id:job_id>", v.vendor_job, name="vendor_job"),
    path("requester/jobs/<id:job_id>", v.requester_job, name="requester_job"),
    path("vendor/jobs/<id:job_id>/preview", p.vendor_job_preview, name="vendor_job_preview"),
    path("requester/jobs/<id:job_id>/preview", p.requester_job_preview, name="requester_job_preview"),
]
