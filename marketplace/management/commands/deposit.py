from django.core.management.base import BaseCommand, CommandError

from marketplace.errors import DomainError
from marketplace.money import parse_amount_micros
from marketplace.services.ledger import deposit, transaction_as_dict

from ._output import print_json


class Command(BaseCommand):
    help = (
        "Credit a requester's available balance (money received outside Groundwork) and print the ledger "
        "transaction. A repeated --reference moves nothing and prints the first transaction."
    )

    def add_arguments(self, parser):
        parser.add_argument("organization_id")
        parser.add_argument("amount", help='USD as a decimal string, such as "250.00"')
        parser.add_argument("--reference", required=True, help="unique key of this deposit (a bank transfer id)")
        parser.add_argument("--memo", default="")

    def handle(self, *args, organization_id, amount, reference, memo, **options):
        try:
            amount_micros = parse_amount_micros(amount)
        except ValueError as exc:
            raise CommandError(f"amount: {exc}") from None
        try:
            record, created = deposit(
                organization_id=organization_id, amount_micros=amount_micros, reference=reference, memo=memo
            )
        except DomainError as exc:
            raise CommandError(exc.message) from None
        print_json(self, {**transaction_as_dict(record), "created": created})
