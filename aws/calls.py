"""What an operation receives: who called, and with what."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from marketplace.models import ApiKey, Organization


@dataclass(frozen=True)
class AwsCall:
    """One authenticated AWS call.

    ``service`` is ``"mturk"`` or ``"sagemaker"``; ``operation`` the name in botocore's model
    (``"CreateHIT"``); ``params`` the request body as parsed JSON (PascalCase, already checked
    against the operation's input shape: required members present, types right); ``request_id``
    the id answered in ``x-amzn-RequestId``; ``region`` the one the request was signed for (any
    name is accepted; ARNs in answers carry it)."""

    organization: Organization
    api_key: ApiKey
    service: str
    operation: str
    params: dict[str, Any]
    request_id: str
    region: str = "us-east-1"

    @property
    def account_id(self) -> str:
        """The organization as a 12-digit AWS account id (in ARNs)."""
        return f"{self.organization.pk:012d}"
