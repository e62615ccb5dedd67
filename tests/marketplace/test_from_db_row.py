"""``sql_templates.from_db_row``: an instance from a raw row is the one the ORM would load (on
PostgreSQL, where the statements whose rows it reads run)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models.signals import post_init

from marketplace.models import Assignment, Task
from marketplace.sql_templates import from_db_row
from tests.conftest import needs_postgres
from tests.support.worker_api import claim

pytestmark = [needs_postgres]


def _raw_row(model, pk: int) -> tuple:
    columns = ", ".join(f'"{field.column}"' for field in model._meta.concrete_fields)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {model._meta.db_table} WHERE id = %s", [pk])
        return cursor.fetchone()


def _values(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in type(instance)._meta.concrete_fields}


@pytest.mark.django_db
def test_an_instance_from_a_raw_row_equals_the_one_the_orm_loads(requester, make_tasks, make_worker):
    # given: a task whose JSON columns hold nested values, an integer beyond 64 bits and text
    [task] = make_tasks(
        requester.organization,
        1,
        input={"text": "ünïcode", "big": 2**70, "nested": [1, 2.5, None, {"a": True}]},
        labels=["cat", "dog"],
        answer_schema={"type": "object"},
    )
    worker = make_worker()
    assert claim(worker).status_code == 200
    assignment = Assignment.objects.get(task=task)

    # when
    made_task = from_db_row(Task, _raw_row(Task, task.pk))
    made_assignment = from_db_row(Assignment, _raw_row(Assignment, assignment.pk))

    # then: the same field values, as a loaded (not new) instance of this database
    assert _values(made_task) == _values(Task.objects.get(pk=task.pk))
    assert made_task.input["big"] == 2**70
    assert _values(made_assignment) == _values(assignment)
    assert made_assignment._state.adding is False and made_assignment._state.db == "default"
    # and it behaves as a model: related objects load, saving updates the row
    assert made_assignment.task.pk == task.pk and made_assignment.worker.pk == worker.pk
    made_task.title = "renamed"
    made_task.save(update_fields=["title"])
    assert Task.objects.get(pk=task.pk).title == "renamed" and Task.objects.count() == 1


@pytest.mark.django_db
def test_a_post_init_receiver_still_hears_each_instance(requester, make_tasks):
    # given: a receiver of post_init for tasks
    [task] = make_tasks(requester.organization, 1)
    heard = []

    def receiver(sender, instance, **kwargs):
        heard.append(instance)

    post_init.connect(receiver, sender=Task)
    try:
        # when
        made = from_db_row(Task, _raw_row(Task, task.pk))
    finally:
        post_init.disconnect(receiver, sender=Task)

    # then: the instance was made through Django's own __init__
    assert heard == [made] and made.pk == task.pk
