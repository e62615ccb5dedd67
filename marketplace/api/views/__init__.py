"""REST views, one module per resource, named after its URL: ``/api/v1/<resource>`` in
``views/<resource>.py`` and the worker's own ``/api/v1/worker/<resource>`` in
``views/worker/<resource>.py`` (``urls.py`` lists which module serves each path)."""
