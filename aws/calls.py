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
    the id answered in ``x-amzn-RequestId``."""

    organization: Organization
    api_key: ApiKey
    service: str
    operation: str
    params: dict[str, Any]
    request_id: str
