"""Labeling REST views, one module per resource (``/api/v1/labeling-jobs`` in ``labeling_jobs``)."""
