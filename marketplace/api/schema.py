"""OpenAPI description of the bearer credentials (drf-spectacular extension)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "marketplace.api.authentication.BearerTokenAuthentication"
    name = "bearer"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A requester API key (gwr_…) or a worker token (gww_…).",
        }


class WorkerSessionScheme(OpenApiAuthenticationExtension):
    target_class = "marketplace.api.authentication.WorkerSessionAuthentication"
    name = "workerConsoleSession"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": "sessionid",
            "description": "The worker console's session (docs/console.md): worker endpoints only; "
                           "unsafe methods also need the `X-CSRFToken` header.",
        }
