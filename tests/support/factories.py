"""Factories for what most tests start from, through the real services (nothing mocked): a
funded requester, a worker with its token and REST client, tasks posted in a batch, money
deposited. ``tests/conftest.py``'s ``make_requester``, ``make_worker`` and ``make_tasks``
fixtures are these functions.
"""

from __future__ import annotations

import itertools
import uuid

from rest_framework.test import APIClient

from marketplace.inputs.tasks import task_spec
from marketplace.models import Organization, Task, Worker
from marketplace.services.ledger import deposit
from marketplace.services.organizations import CreatedOrganization, requester_create
from marketplace.services.tasks import tasks_post
from marketplace.services.workers import worker_create

# Enough that posting work is never refused for want of money, unless a test says otherwise.
DEFAULT_BALANCE_MICROS = 100_000 * 1_000_000

_sequence = itertools.count(1)


def unique(prefix: str) -> str:
    """``prefix-N``, a name no other object of this test run has."""
    return f"{prefix}-{next(_sequence)}"


def client_with(secret: str | None = None) -> APIClient:
    """A REST client sending ``Authorization: Bearer <secret>`` (none without a secret)."""
    client = APIClient()
    if secret:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def fund(organization: Organization, amount_micros: int) -> None:
    """An operator's deposit (the only way money comes in)."""
    deposit(organization_id=organization.pk, amount_micros=amount_micros, reference=f"test-{uuid.uuid4().hex}")


def new_requester(name: str | None = None, *, balance_micros: int = DEFAULT_BALANCE_MICROS) -> CreatedOrganization:
    """A requester organization (with ``api_key``), funded with ``balance_micros`` (none at 0)."""
    created = requester_create(name=name or unique("requester"))
    if balance_micros:
        fund(created.organization, balance_micros)
    return created


def new_worker(username: str | None = None, **kwargs: object) -> Worker:
    """A worker (``worker_create``'s keywords: ``join_public``, ``locale``…) carrying its
    ``token`` and a REST ``client`` signed in with it."""
    worker, token = worker_create(username=username or unique("worker"), **kwargs)
    worker.token = token
    worker.client = client_with(token)
    return worker


def post_tasks(organization: Organization, n: int = 1, *, batch_id: int | None = None, **fields: object) -> list[Task]:
    """``n`` tasks posted through the service in one call (one batch, or ``batch_id``'s), each
    ``{"title": "task i", "reward": "0.05", **fields}`` as the API would take it."""
    fields.setdefault("reward", "0.05")
    specs = [task_spec({"title": f"task {i}", **fields}) for i in range(n)]
    return tasks_post(requester=organization, specs=specs, batch_id=batch_id)
