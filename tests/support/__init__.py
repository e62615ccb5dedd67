"""What tests share: factories for the objects most tests need (``factories``) and the worker's
REST actions (``worker_api``). Fixtures stay in ``tests/conftest.py`` and wrap these."""
