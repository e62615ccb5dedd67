"""Response shapes of the REST API (and what the OpenAPI document shows), one module per resource
as in ``marketplace.api.views``; ``fields`` holds the field types they share."""
