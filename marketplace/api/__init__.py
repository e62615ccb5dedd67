"""The REST API under ``/api/v1/`` (Django REST framework), split one way: by resource.

- ``urls.py``: every route, each served by the view module named after its path;
- ``views/<resource>.py``: the requester's ``/api/v1/<resource>`` (tasks, batches, assignments,
  workers, workteams, api_keys, money, qualification_types, worker_blocks, vendor_offerings,
  vendor_subscriptions); ``views/worker/<resource>.py``: the worker's own ``/api/v1/worker/...``
  (account, assignments, available_work, invitations, earnings, qualification_tests);
- ``serializers/<resource>.py``: the response shapes (and the OpenAPI document's), named as the
  views; ``serializers/fields.py`` the field types they share.

The plumbing every view shares: ``base`` (the base views: principal checks, rate limits,
``Idempotency-Key``), ``authentication``, ``ratelimit``, ``errors`` (the one error body),
``pagination`` (the ``{"results", "next"}`` page and query parameters), ``request_body``,
``statement_responses``, ``parsers`` (strict JSON), ``middleware`` and ``body_limit`` (sizes and
text of requests, WSGI and ASGI), ``openapi`` (how drf-spectacular documents all of the above).
"""
