from django.db import models

from .organizations import Organization


class Worker(models.Model):
    """A labeler. Authenticates with a bearer token stored as a SHA-256 hash (rotatable).

    ``email`` is set only by accepting an emailed private-team invitation (which proves the
    worker reads that address); one worker per address, so an invitation to an address that
    already has an account links that account instead of making a second one.
    """

    username = models.CharField(max_length=150, unique=True)
    email = models.EmailField(max_length=254, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    # The worker console's password, hashed by Django's hashers ("" until the worker activates
    # the console with its token: ``marketplace.services.worker_accounts``).
    password = models.CharField(max_length=128, blank=True)
    token_prefix = models.CharField(max_length=16)
    # ISO 3166-1 alpha-2 ("US"), self-declared at signup; the system ``locale`` qualification.
    locale = models.CharField(max_length=2, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    token_rotated_at = models.DateTimeField(auto_now_add=True)
    # Set while no token works: a vendor admin revoked it; issuing a new one clears it.
    token_revoked_at = models.DateTimeField(null=True, blank=True)
    # The vendor that created the worker and manages it (its team page adds and removes it,
    # issues and revokes its token); null for workers who signed up or an operator created.
    vendor = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="managed_workers"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["email"], condition=~models.Q(email=""), name="one_worker_per_email"),
        ]

    def __str__(self) -> str:
        return self.username


class WebsocketTicket(models.Model):
    """A short-lived, single-use credential for ``/ws/worker/?ticket=…`` (tokens never travel in
    URLs). Only its SHA-256 is stored."""

    worker = models.ForeignKey(Worker, on_delete=models.CASCADE, related_name="websocket_tickets")
    ticket_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)
