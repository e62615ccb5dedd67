"""ASGI entry point: HTTP through Django, the worker websocket through Channels, and the
lifespan protocol (acknowledged: everything starts at import, nothing needs tearing down).

In ``inprocess`` background mode this process also runs the sweeps on a worker thread. With
``DEBUG`` off it refuses to start without ``SECRET_KEY`` and ``ALLOWED_HOSTS`` (config/production.py).
"""

import os

# Before prometheus-client is imported: the directory the workers of this server share.
from marketplace.observability.multiprocess import ensure_metrics_directory

ensure_metrics_directory()

from django.core.asgi import get_asgi_application  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from config.production import serving_settings_check  # noqa: E402

serving_settings_check()
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from marketplace import background  # noqa: E402
from marketplace.api.body_limit import BodySizeLimit  # noqa: E402
from marketplace.api.views.worker.hot import HotWorkerRoutes  # noqa: E402
from marketplace.observability.asgi import ObservedHTTP, ObservedWebsocket  # noqa: E402
from marketplace.realtime.routing import websocket_urlpatterns  # noqa: E402

background.start_in_process_worker_if_configured()


async def lifespan(scope, receive, send) -> None:
    """Answer the server's startup and shutdown messages. Without this, uvicorn logs that the
    lifespan protocol "appears unsupported" at every start (and daphne never sends them)."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


# No origin check: workers authenticate with a bearer token or a single-use ticket, never with
# cookies, so a foreign page gains nothing by opening a socket.
# HTTP bodies are measured while they are read, before Django spools them (api/body_limit.py);
# the hot worker routes (claim, submit) are answered before Django's handler (views/worker/hot.py);
# outside that, every request and websocket message is timed, counted and logged with its
# request id (observability/asgi.py).
application = ProtocolTypeRouter(
    {
        "http": ObservedHTTP(BodySizeLimit(HotWorkerRoutes(django_asgi_app))),
        "websocket": ObservedWebsocket(URLRouter(websocket_urlpatterns)),
        "lifespan": lifespan,
    }
)
