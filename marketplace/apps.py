from django.apps import AppConfig


class MarketplaceConfig(AppConfig):
    name = "marketplace"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import background
        from .api import openapi  # noqa: F401  registers the OpenAPI auth extension
        from .services.sweeps import run_sweeps

        background.register_sweep("marketplace", run_sweeps)
