from django.db import models


class IdempotencyRecord(models.Model):
    """The first response to a POST sent with an ``Idempotency-Key`` (DESIGN.md rule 5).

    ``scope`` is the caller, the method, the concrete path and the key; ``body_hash`` is a
    SHA-256 of the request body. Rows are purged by the sweeps once older than the retention.
    """

    scope = models.CharField(max_length=64, unique=True, help_text="SHA-256 of caller, method, path, key")
    body_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
