from django.apps import AppConfig

from . import background


class MarketplaceConfig(AppConfig):
    name = "marketplace"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported here, not at the top: both import models, which Django allows only once
        # every app is loaded (AppConfig.ready).
        from .api import openapi  # noqa: F401  registers the OpenAPI auth extension
        from .events.sweep import webhooks_sweep
        from .services.sweeps import run_sweeps

        background.register_sweep("marketplace", run_sweeps)
        background.register_sweep("webhooks", webhooks_sweep)
