"""Events and webhooks (docs/webhooks.md): the outbox written in the changing transaction
(``outbox.record_event``), signing (``signing``), the outbound-address policy (``safe_url``),
the sender (``delivery``, over ``outbound``), redelivery (``redelivery``) and the endpoints'
secrets (``endpoints``). The Celery job that delivers is in ``background_jobs``."""
