from django.core.management.base import BaseCommand, CommandError

from marketplace.models import Worker, Workteam
from marketplace.services.workteams import workteam_add_member

from ._output import print_json


class Command(BaseCommand):
    help = "Add an existing worker to a workteam (the operator's way in, beside invitations)."

    def add_arguments(self, parser):
        parser.add_argument("worker_id", type=int)
        parser.add_argument("workteam_id", type=int)

    def handle(self, *args, worker_id, workteam_id, **options):
        worker = Worker.objects.filter(pk=worker_id, is_active=True).first()
        workteam = Workteam.objects.filter(pk=workteam_id, is_active=True).first()
        if worker is None or workteam is None:
            raise CommandError("no such worker" if worker is None else "no such workteam")
        workteam_add_member(workteam=workteam, worker=worker)
        print_json(self, {"worker_id": worker.pk, "workteam_id": workteam.pk})
