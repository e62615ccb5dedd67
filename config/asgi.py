"""ASGI entry point: HTTP through Django, the worker websocket through Channels.

In ``inprocess`` background mode this process also runs the sweeps on a worker thread.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from marketplace import background  # noqa: E402
from marketplace.api.body_limit import BodySizeLimit  # noqa: E402
from marketplace.realtime.routing import websocket_urlpatterns  # noqa: E402

background.start_in_process_worker_if_configured()

# No origin check: workers authenticate with a bearer token or a single-use ticket, never with
# cookies, so a foreign page gains nothing by opening a socket.
# HTTP bodies are measured while they are read, before Django spools them (api/body_limit.py).
application = ProtocolTypeRouter(
    {"http": BodySizeLimit(django_asgi_app), "websocket": URLRouter(websocket_urlpatterns)}
)
