"""Inserting many rows at once (a labeling job's 100,000 tasks).

On PostgreSQL, ``COPY`` with ids drawn from the table's sequence in one query: Django's
``bulk_create`` there sends every column as an array that psycopg escapes element by element in
Python, which costs more than the database's own work. Elsewhere (SQLite), ``bulk_create``.
Either way the objects come back with their ids, in order, and nothing else (no signals, no
``save()``) runs, exactly as with ``bulk_create``.
"""

from __future__ import annotations

from typing import TypeVar

from django.db import connection, connections, models

ModelT = TypeVar("ModelT", bound=models.Model)

FALLBACK_BATCH_SIZE = 2000
PLAIN_FIELDS = (
    models.IntegerField,
    models.CharField,
    models.TextField,
    models.BooleanField,
    models.FloatField,
    models.ForeignKey,
)


def bulk_insert(objects: list[ModelT]) -> list[ModelT]:
    """Insert unsaved instances of one model; sets and returns them with their ids."""
    if not objects:
        return objects
    model = type(objects[0])
    if connection.vendor != "postgresql":
        return model._default_manager.bulk_create(objects, batch_size=FALLBACK_BATCH_SIZE)
    meta = model._meta
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    database = connections[connection.alias]  # the connection itself: the proxy costs per attribute
    quote = database.ops.quote_name
    columns = ", ".join([quote(meta.pk.column), *(quote(field.column) for field in fields)])
    # Plain values go to COPY as they are; the rest (JSON, times, auto_now_add) through Django's
    # own preparation, exactly as an INSERT would.
    plain = [isinstance(field, PLAIN_FIELDS) for field in fields]
    with database.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(objects)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        with cursor.cursor.copy(f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN") as copy:
            for pk, instance in zip(ids, objects, strict=True):
                row = [pk]
                for field, is_plain in zip(fields, plain, strict=True):
                    if is_plain:
                        row.append(getattr(instance, field.attname))
                    else:
                        row.append(field.get_db_prep_save(field.pre_save(instance, add=True), database))
                copy.write_row(row)
    for pk, instance in zip(ids, objects, strict=True):
        instance.pk = pk
        instance._state.adding = False
        instance._state.db = database.alias
    return objects
