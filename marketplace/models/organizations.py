from django.conf import settings
from django.db import models


class Organization(models.Model):
    """A tenant. Deactivated, never deleted (the ledger will point at it)."""

    class Kind(models.TextChoices):
        REQUESTER = "requester"
        VENDOR = "vendor"

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"


class Membership(models.Model):
    """A Django user's role in an organization (portal and admin logins)."""

    class Role(models.TextChoices):
        ADMIN = "admin"
        MEMBER = "member"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="memberships")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    # Set for the generated admin whose password an operator command printed: the portal lets it
    # do nothing else until the password is changed.
    password_change_required = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "organization"], name="membership_unique")]


class ApiKey(models.Model):
    """A requester API key. Only a SHA-256 of the key is stored; the key is shown once.

    Each key also has an AWS-style key pair for the AWS-compatible endpoint (``aws/``): the
    access key id in clear (it names the key, like ``prefix``) and the secret access key
    encrypted (``marketplace.encryption``), since Signature Version 4 needs the secret itself to
    recompute a signature. Keys made before the pair existed have neither.
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="api_keys")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=16, help_text="first characters, to recognise a key")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    aws_access_key_id = models.CharField(max_length=20, unique=True, null=True, blank=True)
    aws_secret_access_key_encrypted = models.TextField(blank=True, default="")

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
