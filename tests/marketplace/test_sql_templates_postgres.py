"""``sql_templates`` on PostgreSQL: prepared plans that do not outlive the tables they were made
for, and a COMMIT that travels with the statements it ends."""

from __future__ import annotations

import psycopg
import pytest
from django.db import IntegrityError, connection, transaction

from marketplace import sql_templates
from marketplace.models import Organization, RequesterDispatchState
from marketplace.sql_templates import SqlTemplate, placeholder, run_together
from tests.conftest import needs_postgres

pytestmark = [needs_postgres]

_ORGANIZATION = placeholder(0)
_STATE = SqlTemplate(
    "INSERT INTO marketplace_requesterdispatchstate (requester_id, last_served_at) VALUES (%s, NULL)"
    " RETURNING requester_id",
    (_ORGANIZATION,),
)
_COUNT = SqlTemplate("SELECT count(*) FROM marketplace_organization WHERE id > %s", (_ORGANIZATION,))


def _prepared_names_of(sql_start: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements WHERE statement LIKE %s", [sql_start + "%"])
        return [name for (name,) in cursor.fetchall()]


@pytest.mark.django_db
def test_a_prepared_statement_is_planned_again_once_its_plan_is_old(monkeypatch):
    # given: the statement prepared on this connection by its first run
    _COUNT.run({_ORGANIZATION: 0})
    first = _prepared_names_of("SELECT count(*) FROM marketplace_organization")

    # when: run again while its plan is young, then once it is older than PLAN_MAX_AGE_SECONDS
    _COUNT.run({_ORGANIZATION: 0})
    kept = _prepared_names_of("SELECT count(*) FROM marketplace_organization")
    monkeypatch.setattr(sql_templates, "PLAN_MAX_AGE_SECONDS", 0.0)
    _COUNT.run({_ORGANIZATION: 0})
    replanned = _prepared_names_of("SELECT count(*) FROM marketplace_organization")

    # then: the young plan was reused; the old one made way for a statement prepared anew
    assert len(first) == 1 and kept == first
    assert len(replanned) == 2 and set(first) < set(replanned)


def _other_connection_sees(organization_id: int) -> bool:
    settings = connection.settings_dict
    with psycopg.connect(
        host=settings["HOST"], port=settings["PORT"] or 5432, user=settings["USER"], dbname=settings["NAME"]
    ) as other:
        row = other.execute(
            "SELECT 1 FROM marketplace_requesterdispatchstate WHERE requester_id = %s", [organization_id]
        ).fetchone()
    return row is not None


@pytest.mark.django_db(transaction=True)
def test_with_commit_the_outermost_block_is_committed_in_the_statements_round_trip():
    # given
    organization = Organization.objects.create(name="requester", kind=Organization.Kind.REQUESTER)

    # when: the statement and its COMMIT are sent together, inside the outermost block
    with transaction.atomic():
        ((returned,),) = run_together([(_STATE, {_ORGANIZATION: organization.pk})], commit=True)[0]
        status_inside = connection.connection.info.transaction_status
        seen_inside = _other_connection_sees(organization.pk)

    # then: committed before the block ended (another connection sees the row), and the block's
    # own commit found nothing left to do
    assert returned == organization.pk
    assert status_inside == psycopg.pq.TransactionStatus.IDLE
    assert seen_inside
    assert RequesterDispatchState.objects.filter(requester_id=organization.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_with_commit_a_nested_block_leaves_the_commit_to_the_outermost():
    # given
    organization = Organization.objects.create(name="requester", kind=Organization.Kind.REQUESTER)

    # when: asked to commit inside a savepoint, then the outer block fails
    with pytest.raises(RuntimeError), transaction.atomic():
        with transaction.atomic():
            run_together([(_STATE, {_ORGANIZATION: organization.pk})], commit=True)
            status_inside = connection.connection.info.transaction_status
        raise RuntimeError("the outer block fails")

    # then: nothing was committed early, and the failed block kept nothing
    assert status_inside == psycopg.pq.TransactionStatus.INTRANS
    assert not RequesterDispatchState.objects.filter(requester_id=organization.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_with_commit_a_failing_commit_raises_and_keeps_nothing():
    # given: a row whose foreign key (checked at COMMIT: the constraints are deferred) names no
    # organization
    missing = Organization.objects.create(name="gone", kind=Organization.Kind.REQUESTER).pk + 1000

    # when
    with pytest.raises(IntegrityError), transaction.atomic():
        run_together([(_STATE, {_ORGANIZATION: missing})], commit=True)

    # then: the error reached the caller and the connection is usable, with nothing kept
    assert not RequesterDispatchState.objects.filter(requester_id=missing).exists()
