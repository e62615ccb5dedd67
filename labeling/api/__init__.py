"""The labeling app's REST API, laid out as ``marketplace.api``: ``views/<resource>.py`` and
``serializers/<resource>.py``."""
