"""An assignment's life over the worker and requester routes."""
