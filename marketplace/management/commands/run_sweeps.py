from django.core.management.base import BaseCommand

from marketplace.background import registered_sweeps

from ._output import print_json


class Command(BaseCommand):
    help = (
        "Run every registered sweep once (expiries, auto-approvals, idempotency purge, webhook deliveries, "
        "labeling jobs) and print what each changed."
    )

    def handle(self, *args, **options):
        print_json(self, {name: vars(sweep()) for name, sweep in registered_sweeps().items()})
