"""The worker's own REST views (``/api/v1/worker/...``; a worker token or the console session)."""
