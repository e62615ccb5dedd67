from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from labeling.landing import landing_page
from marketplace.api.errors import json_bad_request, json_not_found, json_permission_denied, json_server_error
from marketplace.health import healthz, readyz
from marketplace.observability.views import metrics_view

urlpatterns = [
    path("", landing_page, name="landing"),
    path("healthz", healthz),
    path("readyz", readyz),
    path("metrics", metrics_view),  # Prometheus, for loopback by default (docs/operations.md)
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("api/v1/", include("marketplace.api.urls")),
    path("api/v1/", include("labeling.urls")),
    path("portal/", include("labeling.portal.urls")),
    path("console/", include("labeling.console.urls")),
    # The AWS-compatible endpoint (boto3's mturk and sagemaker clients): docs/aws.md.
    path("", include("aws.urls")),
    # Anything else is the JSON 404 of DESIGN.md "Public contracts", in DEBUG too.
    re_path(r"^", json_not_found),
]

handler400 = json_bad_request
handler403 = json_permission_denied
handler404 = json_not_found
handler500 = json_server_error
