"""Who is calling: the authenticated principal put on ``request.user`` by the API."""

from __future__ import annotations

from dataclasses import dataclass

from .models import ApiKey, Organization, Worker


@dataclass(frozen=True)
class RequesterPrincipal:
    organization: Organization
    api_key: ApiKey
    is_authenticated: bool = True

    @property
    def scope_id(self) -> str:
        return f"requester:{self.organization.pk}"

    @property
    def rate_limit_id(self) -> str:
        return f"api-key:{self.api_key.pk}"


@dataclass(frozen=True)
class WorkerPrincipal:
    worker: Worker
    is_authenticated: bool = True

    @property
    def scope_id(self) -> str:
        return f"worker:{self.worker.pk}"

    @property
    def rate_limit_id(self) -> str:
        return f"worker:{self.worker.pk}"
