from django.core.management.base import BaseCommand, CommandError

from labeling.services.storage_registration import storage_register
from marketplace.errors import DomainError
from marketplace.management.commands._output import print_json
from marketplace.models import Organization


class Command(BaseCommand):
    help = (
        "Let an organization read and write under an s3://bucket/prefix (or a file:// folder inside "
        "the storage root), optionally with its own S3 credentials. Repeating it updates the credentials."
    )

    def add_arguments(self, parser):
        parser.add_argument("organization_id", type=int)
        parser.add_argument("uri_prefix")
        parser.add_argument("--access-key-id", default="")
        parser.add_argument("--secret-access-key", default="")

    def handle(self, *args, organization_id, uri_prefix, access_key_id, secret_access_key, **options):
        organization = Organization.objects.filter(pk=organization_id).first()
        if organization is None:
            raise CommandError(f"no organization with id {organization_id}")
        try:
            location = storage_register(
                organization=organization,
                uri_prefix=uri_prefix,
                access_key_id=access_key_id,
                secret_access_key=secret_access_key,
            )
        except DomainError as exc:
            raise CommandError(exc.message) from None
        print_json(
            self,
            {
                "storage_location_id": location.pk,
                "organization_id": organization.pk,
                "uri_prefix": location.uri_prefix,
                "has_own_credentials": bool(location.access_key_id),
            },
        )
