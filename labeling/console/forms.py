"""The console's account forms. Field names are a contract (DESIGN.md "Worker console"):
``username`` and ``password``; ``token``; ``new_password1`` and ``new_password2``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.password_validation import password_validators_help_texts, validate_password


class SignInForm(forms.Form):
    username = forms.CharField(
        label="Username or email",
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True, "autocapitalize": "none"}),
    )
    password = forms.CharField(
        label="Password",
        max_length=4096,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class ActivationTokenForm(forms.Form):
    token = forms.CharField(
        label="Your worker token",
        max_length=200,
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "autofocus": True, "spellcheck": "false"}),
    )


class NewPasswordForm(forms.Form):
    new_password1 = forms.CharField(
        label="New password",
        max_length=4096,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "autofocus": True}),
        help_text=" ".join(password_validators_help_texts()),
    )
    new_password2 = forms.CharField(
        label="New password again",
        max_length=4096,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        first, second = cleaned.get("new_password1"), cleaned.get("new_password2")
        if first and second and first != second:
            self.add_error("new_password2", "The two passwords differ.")
        elif first:
            try:
                validate_password(first)
            except forms.ValidationError as error:
                self.add_error("new_password1", error)
        return cleaned


class PasswordResetForm(forms.Form):
    email = forms.EmailField(
        label="Your email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
