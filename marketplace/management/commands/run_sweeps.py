from django.core.management.base import BaseCommand

from marketplace.services.sweeps import run_sweeps

from ._output import print_json


class Command(BaseCommand):
    help = "Run every sweep once (expiries, auto-approvals, idempotency purge) and print what changed."

    def handle(self, *args, **options):
        print_json(self, vars(run_sweeps()))
