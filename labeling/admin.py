"""Django admin for operators: storage registrations (the secret is write-only)."""

from typing import Any

from django import forms
from django.contrib import admin
from django.db import transaction

from marketplace.encryption import SecretDecryptionError, decrypt_secret, encrypt_secret
from marketplace.errors import InvalidInput

from .models import StorageLocation, WatchedInputFile
from .services.storage_registration import (
    MAX_SECRET_ACCESS_KEY_CHARS,
    normalise_storage_prefix,
    storage_register,
)


class StorageLocationForm(forms.ModelForm):
    """Takes the secret access key in plain text and stores only its ciphertext; the stored
    secret is never shown. Leaving the secret blank keeps the stored one; clearing the access
    key id clears both (the server's credentials are used).

    Saving goes through ``storage_register``, as the ``register_storage`` command does: the
    prefix is normalised, a ``file://`` folder is created, the secret is encrypted (a kept secret
    is re-encrypted with the current key)."""

    secret_access_key = forms.CharField(
        required=False,
        strip=True,
        max_length=MAX_SECRET_ACCESS_KEY_CHARS,
        widget=forms.PasswordInput(render_value=False),
        help_text="Write-only. Leave blank to keep the stored secret.",
    )

    class Meta:
        model = StorageLocation
        fields = ["organization", "uri_prefix", "access_key_id"]

    def clean_uri_prefix(self) -> str:
        try:
            return normalise_storage_prefix(self.cleaned_data["uri_prefix"])
        except InvalidInput as exc:
            raise forms.ValidationError(exc.fields.get("uri_prefix", [exc.message])[0]) from None

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        access_key_id = (cleaned.get("access_key_id") or "").strip()
        secret = cleaned.get("secret_access_key") or ""
        has_stored_secret = bool(self.instance.pk and self.instance.secret_access_key_encrypted)
        if secret and not access_key_id:
            self.add_error("access_key_id", "An access key id is needed with a secret access key.")
        if access_key_id and not secret and not has_stored_secret:
            self.add_error("secret_access_key", "A secret access key is needed with an access key id.")
        # storage_register's checks, as form errors rather than a failed save.
        if access_key_id and not access_key_id.isprintable():
            self.add_error("access_key_id", "Must be printable characters only.")
        if secret and not secret.isprintable():
            self.add_error("secret_access_key", "Must be printable characters only.")
        self._kept_secret = ""
        if access_key_id and not secret and has_stored_secret:
            try:
                self._kept_secret = decrypt_secret(self.instance.secret_access_key_encrypted)
            except SecretDecryptionError:
                self.add_error("secret_access_key", "The stored secret cannot be decrypted; enter it again.")
        cleaned["access_key_id"] = access_key_id
        return cleaned

    def save(self, commit=True):
        location = super().save(commit=False)
        secret = self.cleaned_data.get("secret_access_key") or ""
        if not location.access_key_id:
            location.secret_access_key_encrypted = ""
        elif secret:
            location.secret_access_key_encrypted = encrypt_secret(secret)
        if commit:
            self.register()
        return location

    def register(self) -> StorageLocation:
        """Save the registration through ``storage_register`` and return ``self.instance`` as
        saved. An edited registration is first moved to its new organization and prefix, so
        ``storage_register`` (keyed on those) updates that row instead of adding one."""
        location = self.instance
        organization = self.cleaned_data["organization"]
        uri_prefix = self.cleaned_data["uri_prefix"]
        access_key_id = self.cleaned_data["access_key_id"]
        secret = (self.cleaned_data.get("secret_access_key") or self._kept_secret) if access_key_id else ""
        with transaction.atomic():
            if location.pk is not None:
                StorageLocation.objects.filter(pk=location.pk).update(organization=organization, uri_prefix=uri_prefix)
            registered = storage_register(
                organization=organization,
                uri_prefix=uri_prefix,
                access_key_id=access_key_id,
                secret_access_key=secret,
            )
        # The admin goes on with this instance (log entry, redirect): make it the saved row.
        for field in StorageLocation._meta.concrete_fields:
            setattr(location, field.attname, getattr(registered, field.attname))
        location._state.adding = False
        location._state.db = registered._state.db
        return location


@admin.register(StorageLocation)
class StorageLocationAdmin(admin.ModelAdmin):
    form = StorageLocationForm
    list_display = ["id", "organization", "uri_prefix", "access_key_id", "has_own_credentials", "created_at"]
    list_select_related = ["organization"]
    search_fields = ["uri_prefix", "organization__name"]
    readonly_fields = ["created_at"]

    def save_model(self, request, obj, form, change):
        form.register()  # through storage_register, as the register_storage command does

    @admin.display(boolean=True, description="own credentials")
    def has_own_credentials(self, obj: StorageLocation) -> bool:
        return bool(obj.access_key_id and obj.secret_access_key_encrypted)


@admin.register(WatchedInputFile)
class WatchedInputFileAdmin(admin.ModelAdmin):
    """The manifest files streaming jobs read from their watched prefixes (``error``: why one
    added nothing). Read-only: the row is what makes a file read once."""

    list_display = ["id", "job", "key", "objects_added", "objects_repeated", "error", "read_at"]
    list_select_related = ["job"]
    search_fields = ["key", "job__name"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
