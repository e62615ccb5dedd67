"""What a serving process checks before it answers anyone (README "Configuration").

A process that serves HTTP with ``DEBUG`` off is production, whatever database it runs on: it
must not sign sessions with the development key everyone can read in this repository, nor answer
for any Host header. The operator commands never serve, so on the embedded default they run in a
plain shell (``config/settings.py`` refuses them too once ``DATABASE_URL`` is set).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def serving_settings_check() -> None:
    """Raise ``ImproperlyConfigured`` naming what is missing when ``DEBUG`` is off and
    ``SECRET_KEY`` or ``ALLOWED_HOSTS`` was not set in the environment."""
    missing = getattr(settings, "MISSING_PRODUCTION_SETTINGS", [])
    if missing and not settings.DEBUG:
        raise ImproperlyConfigured(
            f"DEBUG is off, so {' and '.join(missing)} must be set in the environment to serve "
            "(./scripts/serve sets DEBUG=1 for development)"
        )
