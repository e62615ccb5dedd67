"""``GET /metrics``: Prometheus's text format, for loopback by default.

Who may read it (docs/operations.md "Metrics"): a client whose address is in
``METRICS_ALLOWED_NETWORKS`` (default loopback only), or any client sending
``Authorization: Bearer <METRICS_BEARER_TOKEN>`` when that is set. The address is the one the
server saw (uvicorn takes ``X-Forwarded-For`` only from the proxies it trusts, 127.0.0.1 by
default), so behind a load balancer allow the scraper's network or use the token. Anyone else
gets the JSON 403 ``forbidden``: counts of slots and money are not for the public.
"""

from __future__ import annotations

import functools
import hmac
import ipaddress
from collections.abc import Iterable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from ..api.errors import error_body
from . import metrics
from .scrape import ScrapeTimeCollector

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@functools.cache
def _networks(spec: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in spec)


def metrics_allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_BEARER_TOKEN
    if token:
        given = request.headers.get("Authorization", "")
        if given.startswith("Bearer ") and hmac.compare_digest(given[len("Bearer ") :].encode(), token.encode()):
            return True
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR") or "")
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in _networks(tuple(settings.METRICS_ALLOWED_NETWORKS)))


class _ThisProcess(Collector):
    """This process's own registry (no ``uvicorn --workers``: nothing to sum)."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


def metrics_text() -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    if metrics.MULTIPROCESS:
        MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    registry.register(ScrapeTimeCollector())
    return generate_latest(registry)


def metrics_view(request: HttpRequest) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        return JsonResponse(error_body("method_not_allowed", "use GET"), status=405)
    if not metrics_allowed(request):
        return JsonResponse(
            error_body(
                "forbidden",
                "/metrics is open to the networks in METRICS_ALLOWED_NETWORKS or with the METRICS_BEARER_TOKEN",
            ),
            status=403,
        )
    return HttpResponse(metrics_text(), content_type=CONTENT_TYPE_LATEST)
