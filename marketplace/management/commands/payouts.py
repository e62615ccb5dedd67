from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from marketplace.errors import DomainError
from marketplace.models import Payout
from marketplace.services import payouts

from ._output import print_json


class Command(BaseCommand):
    help = (
        "Operate payouts: list requested or approved ones, approve, export the approved ones as CSV for the "
        "bank, mark paid with the bank's reference, or cancel (the money goes back to the earnings)."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        listing = actions.add_parser("list")
        listing.add_argument("--status", choices=Payout.Status.values, default=Payout.Status.REQUESTED)
        approve = actions.add_parser("approve")
        approve.add_argument("payout_ids", nargs="+")
        export = actions.add_parser("export")
        export.add_argument("--output", required=True, help="the CSV file to write")
        paid = actions.add_parser("mark-paid")
        paid.add_argument("payout_ids", nargs="+")
        paid.add_argument("--external-reference", required=True)
        cancel = actions.add_parser("cancel")
        cancel.add_argument("payout_ids", nargs="+")
        cancel.add_argument("--note", default="")

    def handle(self, *args, action, **options):
        try:
            print_json(self, getattr(self, f"_{action.replace('-', '_')}")(**options))
        except DomainError as exc:
            raise CommandError(exc.message) from None

    def _list(self, *, status, **_):
        return {"payouts": [payouts.payout_as_dict(p) for p in Payout.objects.filter(status=status).order_by("id")]}

    def _approve(self, *, payout_ids, **_):
        return {"payouts": [payouts.payout_as_dict(payouts.payout_approve(payout_id=i)) for i in payout_ids]}

    def _export(self, *, output, **_):
        path = Path(output)
        if path.exists():
            raise CommandError(f"{path} exists: choose a new file (exports are never overwritten)")
        # Written under a temporary name inside the export's transaction (a failed write stamps
        # nothing), and renamed once it committed (a failed commit leaves no file to pay twice).
        partial = path.with_name(path.name + ".partial")
        try:
            exported, _text = payouts.payouts_export(deliver=partial.write_text)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise CommandError(f"cannot write {path}: {exc}; nothing was exported") from None
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        partial.rename(path)
        return {"file": str(path), "payout_ids": [p.pk for p in exported]}

    def _mark_paid(self, *, payout_ids, external_reference, **_):
        return {
            "payouts": [
                payouts.payout_as_dict(payouts.payout_mark_paid(payout_id=i, external_reference=external_reference))
                for i in payout_ids
            ]
        }

    def _cancel(self, *, payout_ids, note, **_):
        return {"payouts": [payouts.payout_as_dict(payouts.payout_cancel(payout_id=i, note=note)) for i in payout_ids]}
