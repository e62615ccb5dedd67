"""ASGI entry point: HTTP through Django, websockets through Channels (added by realtime).

In ``inprocess`` background mode this process also runs the sweeps on a worker thread.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter  # noqa: E402

from marketplace import background  # noqa: E402

background.start_in_process_worker_if_configured()

application = ProtocolTypeRouter({"http": django_asgi_app})
