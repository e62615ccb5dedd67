"""``/portal/join/<token>``: the page an emailed private-team invitation links to.

No sign-in (the invitee has no portal account; workers use tokens). The page names the team
and the requester and offers two forms: create a worker account (its token is shown once, on
the response page, and kept nowhere else) or link an existing one by pasting its current token.
Everything is decided by ``marketplace.services.email_invitations``; an unusable link shows why.
"""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from marketplace.errors import DomainError
from marketplace.services.email_invitations import (
    InvitationLinkError,
    email_invitation_accept,
    email_invitation_for_token,
)


class NewAccountForm(forms.Form):
    username = forms.CharField(max_length=150, help_text="3 to 150 characters: letters, digits and _ . @ + -")


class LinkAccountForm(forms.Form):
    worker_token = forms.CharField(
        max_length=200, label="Your current worker token", widget=forms.PasswordInput(render_value=False)
    )


@never_cache
def join(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows the invitation; POST ``action=create`` or ``action=link`` accepts it."""
    try:
        invitation = email_invitation_for_token(token)
    except InvitationLinkError as error:
        return render(request, "portal/join_unusable.html", {"message": error.message}, status=error.status)
    new_form = NewAccountForm(prefix="new")
    link_form = LinkAccountForm(prefix="link")
    action = request.POST.get("action") if request.method == "POST" else None
    form = new_form if action == "create" else link_form if action == "link" else None
    if form is not None:
        form = type(form)(request.POST, prefix=form.prefix)
        if form.is_valid():
            try:
                worker, new_token = email_invitation_accept(token=token, **form.cleaned_data)
            except InvitationLinkError as error:
                return render(request, "portal/join_unusable.html", {"message": error.message}, status=error.status)
            except DomainError as error:
                field = next(iter(error.fields), None)
                form.add_error(
                    field if field in form.fields else None,
                    error.fields.get(field, [error.message])[0] if field else error.message,
                )
            else:
                return render(
                    request,
                    "portal/join_done.html",
                    {
                        "invitation": invitation,
                        "worker": worker,
                        "new_token": new_token,
                    },
                )
        if isinstance(form, NewAccountForm):
            new_form = form
        else:
            link_form = form
    return render(
        request,
        "portal/join.html",
        {
            "invitation": invitation,
            "new_form": new_form,
            "link_form": link_form,
        },
        status=400 if form is not None else 200,
    )
