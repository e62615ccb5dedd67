"""Inserting many rows at once (a labeling job's 100,000 tasks).

On PostgreSQL, ``COPY`` with ids drawn from the table's sequence in one query: Django's
``bulk_create`` there sends every column as an array that psycopg escapes element by element in
Python, which costs more than the database's own work. Elsewhere (SQLite), ``bulk_create``.
Either way the objects come back with their ids, in order, and nothing else (no signals, no
``save()``) runs, exactly as with ``bulk_create``.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection, models

FALLBACK_BATCH_SIZE = 2000


def bulk_insert(objects: Sequence[models.Model]) -> Sequence[models.Model]:
    """Insert unsaved instances of one model; sets and returns them with their ids."""
    if not objects:
        return objects
    model = type(objects[0])
    if connection.vendor != "postgresql":
        return model.objects.bulk_create(objects, batch_size=FALLBACK_BATCH_SIZE)
    meta = model._meta
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    quote = connection.ops.quote_name
    columns = ", ".join([quote(meta.pk.column), *(quote(field.column) for field in fields)])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(objects)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        with cursor.cursor.copy(f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN") as copy:
            for pk, instance in zip(ids, objects, strict=True):
                copy.write_row([
                    pk,
                    *(field.get_db_prep_save(field.pre_save(instance, add=True), connection) for field in fields),
                ])
    for pk, instance in zip(ids, objects, strict=True):
        instance.pk = pk
        instance._state.adding = False
        instance._state.db = connection.alias
    return objects
