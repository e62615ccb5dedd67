"""Django admin for operators. Assignments are history: shown read-only."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from .errors import DomainError
from .models import (
    ApiKey,
    Appeal,
    Assignment,
    Batch,
    EmailInvitation,
    Invitation,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    Membership,
    Organization,
    Payout,
    QualificationGrant,
    QualificationTestAttempt,
    QualificationType,
    Task,
    VendorOffering,
    VendorSubscription,
    Worker,
    WorkerBlock,
    Workteam,
)
from .money import format_micros, parse_amount_micros
from .selectors.ledger import requester_balance
from .services import ledger, payouts


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "kind", "is_active", "created_at", "deposit_link"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name"]

    @admin.display(description="deposit")
    def deposit_link(self, organization):
        if organization.kind != Organization.Kind.REQUESTER:
            return ""
        return format_html(
            '<a href="{}">deposit</a>', reverse("admin:marketplace_organization_deposit", args=[organization.pk])
        )

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead

    def get_urls(self):
        deposit = self.admin_site.admin_view(self.deposit_view)
        return [
            path("<int:organization_id>/deposit/", deposit, name="marketplace_organization_deposit"),
            *super().get_urls(),
        ]

    def deposit_view(self, request, organization_id):
        """Staff credit a requester (money received outside Groundwork), like ``manage.py deposit``."""
        if not request.user.is_staff or not request.user.has_perm("marketplace.add_ledgertransaction"):
            raise PermissionDenied
        organization = get_object_or_404(Organization, pk=organization_id, kind=Organization.Kind.REQUESTER)
        form = DepositForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                record, created = ledger.deposit(
                    organization_id=organization.pk,
                    amount_micros=form.cleaned_data["amount_micros"],
                    reference=form.cleaned_data["reference"],
                    memo=form.cleaned_data["memo"],
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                if created:
                    messages.success(request, f"Deposited {form.cleaned_data['amount']} (transaction {record.pk}).")
                else:
                    messages.warning(request, f"Reference already used: transaction {record.pk}; nothing moved.")
                return redirect("admin:marketplace_organization_change", organization.pk)
        balance = requester_balance(organization)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Deposit to {organization.name}",
            "form": form,
            "organization": organization,
            "available": format_micros(balance.available_micros),
            "on_hold": format_micros(balance.on_hold_micros),
        }
        return TemplateResponse(request, "admin/marketplace/deposit.html", context)


class DepositForm(forms.Form):
    amount = forms.CharField(help_text='USD, such as "250.00"')
    reference = forms.CharField(max_length=200, help_text="unique key of this deposit (a bank transfer id)")
    memo = forms.CharField(max_length=1000, required=False)

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        try:
            cleaned["amount_micros"] = parse_amount_micros(cleaned.get("amount", ""))
        except ValueError as exc:
            self.add_error("amount", str(exc))
        return cleaned


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "organization", "role"]


@admin.register(ApiKey)
class ApiKeyAdmin(ReadOnlyAdmin):
    list_display = ["id", "organization", "name", "prefix", "created_at", "revoked_at", "last_used_at"]
    exclude = ["key_hash"]


@admin.register(Worker)
class WorkerAdmin(admin.ModelAdmin):
    list_display = ["id", "username", "email", "locale", "is_active", "created_at"]
    search_fields = ["username", "email"]
    exclude = ["token_hash"]
    readonly_fields = ["token_prefix", "token_rotated_at"]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Workteam)
class WorkteamAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "kind", "owner", "is_active"]
    list_filter = ["kind", "is_active"]


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    list_display = ["id", "workteam", "worker", "status", "created_at"]


@admin.register(EmailInvitation)
class EmailInvitationAdmin(ReadOnlyAdmin):
    list_display = ["id", "workteam", "email", "status", "expires_at", "accepted_worker", "created_at"]
    list_filter = ["status"]
    search_fields = ["email"]
    exclude = ["token_hash"]


@admin.register(Batch)
class BatchAdmin(ReadOnlyAdmin):
    list_display = ["id", "requester", "workteam", "auto_approval_delay_seconds", "created_at"]


@admin.register(Task)
class TaskAdmin(ReadOnlyAdmin):
    list_display = ["id", "requester", "batch", "title", "status", "slots", "slots_used", "slots_submitted"]
    list_filter = ["status"]


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdmin):
    list_display = ["id", "task", "worker", "status", "accepted_at", "deadline", "submitted_at"]
    list_filter = ["status"]


@admin.register(Appeal)
class AppealAdmin(ReadOnlyAdmin):
    list_display = ["id", "assignment", "requester", "worker", "status", "created_at", "decided_at"]
    list_filter = ["status"]


@admin.register(LedgerAccount)
class LedgerAccountAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "organization", "batch", "worker", "balance"]
    list_filter = ["kind"]

    @admin.display(description="balance (USD)")
    def balance(self, account):
        return format_micros(account.balance_micros)


class LedgerEntryInline(admin.TabularInline):
    model = LedgerEntry
    fields = ["account", "amount"]
    readonly_fields = ["account", "amount"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="amount (USD)")
    def amount(self, entry):
        return format_micros(entry.amount_micros)


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(ReadOnlyAdmin):
    """Append-only: read here; deposits are made from an organization's page or ``manage.py deposit``."""

    list_display = ["id", "kind", "reference", "requester", "worker", "created_at"]
    list_filter = ["kind"]
    search_fields = ["reference"]
    inlines = [LedgerEntryInline]


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdmin):
    list_display = ["id", "worker", "vendor", "amount", "status", "requested_at", "exported_at", "paid_at"]
    list_filter = ["status"]
    actions = ["approve", "cancel"]

    @admin.display(description="amount (USD)")
    def amount(self, payout):
        return format_micros(payout.amount_micros)

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm("marketplace.change_payout")  # needed by the actions, not the form

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in Payout._meta.fields]

    @admin.action(description="Approve the selected requested payouts", permissions=["change"])
    def approve(self, request, queryset):
        self._each(request, queryset, lambda payout: payouts.payout_approve(payout_id=payout.pk))

    @admin.action(description="Cancel the selected payouts (money back to the earnings)", permissions=["change"])
    def cancel(self, request, queryset):
        self._each(request, queryset, lambda payout: payouts.payout_cancel(payout_id=payout.pk, note="admin"))

    def _each(self, request, queryset, step):
        for payout in queryset:
            try:
                step(payout)
            except DomainError as exc:
                self.message_user(request, f"payout {payout.pk}: {exc.message}", messages.ERROR)


@admin.register(QualificationType)
class QualificationTypeAdmin(ReadOnlyAdmin):
    list_display = ["id", "name", "owner", "system_key", "grant_method", "is_active", "created_at"]
    list_filter = ["grant_method", "is_active"]


@admin.register(QualificationGrant)
class QualificationGrantAdmin(ReadOnlyAdmin):
    list_display = ["id", "qualification_type", "worker", "value", "source", "updated_at"]


@admin.register(QualificationTestAttempt)
class QualificationTestAttemptAdmin(ReadOnlyAdmin):
    list_display = ["id", "qualification_type", "worker", "score", "passed", "submitted_at"]


@admin.register(WorkerBlock)
class WorkerBlockAdmin(ReadOnlyAdmin):
    list_display = ["id", "requester", "worker", "reason", "created_at"]


@admin.register(VendorOffering)
class VendorOfferingAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "vendor", "workteam", "price_micros", "capacity", "is_active", "updated_at"]
    list_filter = ["is_active"]
    readonly_fields = ["vendor", "workteam", "created_at", "updated_at"]


@admin.register(VendorSubscription)
class VendorSubscriptionAdmin(ReadOnlyAdmin):
    list_display = ["id", "offering", "requester", "status", "created_at", "decided_at", "cancelled_at"]
    list_filter = ["status"]
