"""The double-entry ledger (DESIGN.md "Money", rule 4).

Every movement of money is one ``LedgerTransaction`` whose ``LedgerEntry`` rows sum to zero.
Entries and transactions are append-only (never updated or deleted: the migration installs
database triggers that refuse it, and foreign keys to them protect). ``LedgerAccount.balance_micros``
is the sum of the account's entries, kept in step inside the same database transaction; its
check constraint is what refuses an overdraft (no check-then-act).
"""

from django.db import models
from django.db.models import Q

from .organizations import Organization
from .tasks import Assignment, Batch, Task
from .workers import Worker


class LedgerAccount(models.Model):
    """An account. Owned by an organization (available balance, vendor earnings), a batch
    (escrow), a worker (earnings), or by the platform (one account of each platform kind)."""

    class Kind(models.TextChoices):
        REQUESTER_AVAILABLE = "requester_available"
        BATCH_ESCROW = "batch_escrow"
        WORKER_EARNINGS = "worker_earnings"
        VENDOR_EARNINGS = "vendor_earnings"
        PLATFORM_FEES = "platform_fees"
        PAYOUTS_REQUESTED = "payouts_requested"  # earnings a payee asked to be paid out
        PAYOUTS_APPROVED = "payouts_approved"  # approved by an operator, not yet sent
        OUTSIDE_WORLD = "outside_world"  # deposits come from it, payouts go to it

    PLATFORM_KINDS = (Kind.PLATFORM_FEES, Kind.PAYOUTS_REQUESTED, Kind.PAYOUTS_APPROVED, Kind.OUTSIDE_WORLD)

    kind = models.CharField(max_length=32, choices=Kind.choices)
    # The requester for its available and escrow accounts, the vendor for vendor earnings.
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_accounts"
    )
    batch = models.OneToOneField(Batch, null=True, blank=True, on_delete=models.PROTECT, related_name="escrow_account")
    worker = models.OneToOneField(
        Worker, null=True, blank=True, on_delete=models.PROTECT, related_name="earnings_account"
    )
    balance_micros = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # Rule 4: no balance below zero, except the outside world's (money that came in).
            models.CheckConstraint(
                condition=Q(balance_micros__gte=0) | Q(kind="outside_world"), name="ledger_account_not_overdrawn"
            ),
            models.UniqueConstraint(
                fields=["kind", "organization"],
                condition=Q(kind__in=["requester_available", "vendor_earnings"]),
                name="one_organization_account_per_kind",
            ),
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(kind__in=["platform_fees", "payouts_requested", "payouts_approved", "outside_world"]),
                name="one_platform_account_per_kind",
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind="batch_escrow", batch__isnull=False, organization__isnull=False, worker__isnull=True)
                    | Q(kind="worker_earnings", worker__isnull=False, batch__isnull=True, organization__isnull=True)
                    | Q(
                        kind__in=["requester_available", "vendor_earnings"],
                        organization__isnull=False,
                        batch__isnull=True,
                        worker__isnull=True,
                    )
                    | Q(
                        kind__in=["platform_fees", "payouts_requested", "payouts_approved", "outside_world"],
                        organization__isnull=True,
                        batch__isnull=True,
                        worker__isnull=True,
                    )
                ),
                name="ledger_account_owner_matches_kind",
            ),
        ]
        indexes = [models.Index(fields=["organization", "kind"], name="ledger_account_by_org")]

    def __str__(self) -> str:
        owner = self.batch_id or self.worker_id or self.organization_id or ""
        return f"{self.kind} {owner}".strip()


class Payout(models.Model):
    """A payee's request to be paid earned money, and its way through the operator's hands:
    ``requested`` → ``approved`` → ``paid``, or ``cancelled`` before it is paid. Each step is a
    ledger transaction (earnings → requested → approved → outside world; a cancel goes back)."""

    class Status(models.TextChoices):
        REQUESTED = "requested"
        APPROVED = "approved"
        PAID = "paid"
        CANCELLED = "cancelled"

    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="payouts")
    worker = models.ForeignKey(Worker, null=True, blank=True, on_delete=models.PROTECT, related_name="payouts")
    vendor = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="payouts")
    amount_micros = models.BigIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.REQUESTED)
    requested_at = models.DateTimeField(auto_now_add=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    exported_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # What the bank or payment provider calls the transfer, given when it is marked paid.
    external_reference = models.CharField(max_length=200, blank=True)
    note = models.CharField(max_length=1000, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount_micros__gt=0), name="payout_amount_positive"),
            models.CheckConstraint(
                condition=Q(worker__isnull=False, vendor__isnull=True) | Q(worker__isnull=True, vendor__isnull=False),
                name="payout_has_one_payee",
            ),
        ]
        indexes = [models.Index(fields=["status", "id"], name="payout_by_status")]


class LedgerTransaction(models.Model):
    """A balanced set of entries, written in one database transaction. ``reference`` is unique:
    posting the same reference again moves nothing (it is how exactly-once is kept when calls
    are retried or processes die). The optional links say what the money was for."""

    class Kind(models.TextChoices):
        DEPOSIT = "deposit"
        ESCROW_RESERVE = "escrow_reserve"
        ESCROW_RELEASE = "escrow_release"
        ASSIGNMENT_PAYMENT = "assignment_payment"
        BONUS = "bonus"
        PAYOUT_REQUEST = "payout_request"
        PAYOUT_APPROVE = "payout_approve"
        PAYOUT_PAID = "payout_paid"
        PAYOUT_CANCEL = "payout_cancel"
        # Approving an assignment after rejecting it: its reserve went back when it was
        # rejected, so the available balance pays (services.rejection_overrides).
        REJECTION_OVERRIDE_PAYMENT = "rejection_override_payment"

    kind = models.CharField(max_length=32, choices=Kind.choices)
    reference = models.CharField(max_length=300, unique=True)
    memo = models.CharField(max_length=1000, blank=True)
    requester = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_transactions"
    )
    batch = models.ForeignKey(Batch, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    task = models.ForeignKey(Task, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    assignment = models.ForeignKey(Assignment, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    worker = models.ForeignKey(Worker, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    payout = models.ForeignKey(Payout, null=True, blank=True, on_delete=models.PROTECT, related_name="transactions")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        indexes = [
            models.Index(fields=["requester", "kind", "id"], name="ledger_tx_by_requester"),
            models.Index(fields=["worker", "kind"], name="ledger_tx_by_worker"),
        ]


class LedgerEntry(models.Model):
    """One side of a transaction: a signed amount on one account."""

    transaction = models.ForeignKey(LedgerTransaction, on_delete=models.PROTECT, related_name="entries")
    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="entries")
    amount_micros = models.BigIntegerField()

    class Meta:
        constraints = [models.CheckConstraint(condition=~Q(amount_micros=0), name="ledger_entry_not_zero")]
        indexes = [models.Index(fields=["account", "id"], name="ledger_entry_by_account")]
