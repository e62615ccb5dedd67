"""The worker console (``/console/``): a browser client of the public worker API (docs/console.md)."""
