"""WSGI entry point (the ASGI one, ``config.asgi``, is what Groundwork is served with)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from config.production import serving_settings_check  # noqa: E402

serving_settings_check()
application = get_wsgi_application()
