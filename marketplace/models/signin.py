from django.db import models


class SignInThrottle(models.Model):
    """Failed sign-ins counted for one key (an account or a client address) in a fixed window:
    the database backend of ``marketplace.services.signin_throttle`` (Redis holds the same
    counts when ``REDIS_URL`` is set)."""

    key = models.CharField(max_length=200, unique=True)
    failures = models.PositiveIntegerField(default=0)
    window_ends_at = models.DateTimeField(db_index=True)
