from django.core.management.base import BaseCommand, CommandError

from marketplace.errors import DomainError
from marketplace.models import Workteam
from marketplace.services.workers import worker_create

from ._output import print_json


class Command(BaseCommand):
    help = "Create a worker (in the public workforce unless --no-public) and print its token once."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--workteam",
            type=int,
            action="append",
            default=[],
            dest="workteams",
            help="also join this workteam (repeatable)",
        )
        parser.add_argument("--no-public", action="store_true", help="do not join the public workforce")
        parser.add_argument("--locale", default=None, help="ISO 3166-1 alpha-2 country code, e.g. US")

    def handle(self, *args, username, workteams, no_public, locale, **options):
        found = {w.pk: w for w in Workteam.objects.filter(pk__in=workteams, is_active=True)}
        missing = [str(pk) for pk in workteams if pk not in found]
        if missing:
            raise CommandError(f"no such workteam: {', '.join(missing)}")
        try:
            worker, token = worker_create(
                username=username,
                join_public=not no_public,
                workteams=[found[pk] for pk in workteams],
                locale=locale,
            )
        except DomainError as exc:
            raise CommandError(exc.message) from None
        print_json(self, {"worker_id": worker.pk, "token": token})
