from django.core.management.base import BaseCommand, CommandError

from marketplace.errors import DomainError
from marketplace.services.organizations import requester_create

from ._output import print_json


class Command(BaseCommand):
    help = "Create a requester organization with an admin user an API key and its AWS key pair (printed once)."

    def add_arguments(self, parser):
        parser.add_argument("name")

    def handle(self, *args, name, **options):
        try:
            created = requester_create(name=name)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        print_json(
            self,
            {
                "organization_id": created.organization.pk,
                "api_key": created.api_key,
                "aws_access_key_id": created.aws_access_key_id,
                "aws_secret_access_key": created.aws_secret_access_key,
                "admin_username": created.admin_username,
                "admin_password": created.admin_password,
            },
        )
