"""Querysets compiled once and run many times with other values: the hot path's statements.

Compiling a queryset (resolving lookups, joins and expressions into SQL) costs far more Python
than running the statement; on the claim and submit paths it was most of the time. A
``SqlTemplate`` compiles a queryset built from *placeholder values* once per shape (say, per
number of workteams in an ``IN`` list) and then runs the same SQL with the real values put in
the placeholders' places, so the rule stays written once, as a queryset.

A placeholder is a value no real row can carry (``Placeholder(n)`` gives a distinct negative
integer; ``PLACEHOLDER_TIME`` a datetime in 1901). A placeholder may also stand for SQL text
(``as_sql``): a column of an outer query that a queryset cannot name on its own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import psycopg
from django.db import connection
from django.db.models import Model, QuerySet

T = TypeVar("T")
M = TypeVar("M", bound=Model)
_BASE = -7_300_000_000_000
PLACEHOLDER_TIME = datetime(1901, 2, 3, 4, 5, 6, 789012, tzinfo=UTC)


def placeholder(index: int) -> int:
    """The ``index``-th integer placeholder (distinct from every id and from each other)."""
    return _BASE - index


def placeholders(start: int, count: int) -> list[int]:
    return [placeholder(start + i) for i in range(count)]


@dataclass(frozen=True)
class SqlTemplate:
    """A compiled statement: its SQL and, per parameter, either a fixed value or the
    placeholder it is filled from."""

    sql: str
    params: tuple[object, ...]

    @classmethod
    def of(cls, queryset: QuerySet, *, as_sql: Mapping[object, str] | None = None) -> SqlTemplate:
        """Compile ``queryset``; each parameter equal to a key of ``as_sql`` is replaced by that
        SQL text (spliced into the statement, no longer a parameter)."""
        sql, params = queryset.query.sql_with_params()
        if not as_sql:
            return cls(sql, tuple(params))
        pieces = sql.split("%s")
        if len(pieces) != len(params) + 1:
            raise ValueError("cannot splice into SQL holding a literal %s")
        text, kept = [pieces[0]], []
        for param, piece in zip(params, pieces[1:], strict=True):
            if isinstance(param, Hashable) and param in as_sql:
                text.append(as_sql[param])
            else:
                text.append("%s")
                kept.append(param)
            text.append(piece)
        return cls("".join(text), tuple(kept))

    def fill(self, values: Mapping[object, object]) -> list[Any]:
        """The parameters, each placeholder replaced by its value in ``values``."""
        return [values.get(p, p) if isinstance(p, Hashable) else p for p in self.params]

    def run(self, values: Mapping[object, object], *, fetch: bool = True) -> tuple[Any, ...] | None:
        """Run the statement with ``values`` in the placeholders' places; its first row (with
        ``fetch``; a statement that returns no rows is run with ``fetch=False``).

        On PostgreSQL the statement is bound on the server (psycopg's default cursor, not the
        client-side binding Django uses): the values travel apart from the text, which psycopg
        then neither rewrites nor quotes, and which it prepares after a few runs on a
        connection where ``prepare_threshold`` allows (Django's default does not: poolers). The
        cursor is Django's wrapper all the same (its query log, its execute wrappers, its
        errors)."""
        connection.ensure_connection()
        if connection.vendor == "postgresql":
            raw = psycopg.Cursor(connection.connection)
            wrap = connection.make_debug_cursor if connection.queries_logged else connection.make_cursor
            cursor = wrap(raw)  # type: ignore[arg-type]  # Django wraps a database cursor (its stubs say otherwise)
        else:
            cursor = connection.cursor()
        with cursor:
            cursor.execute(self.sql, self.fill(values))
            return cursor.fetchone() if fetch else None


class TemplateCache:
    """Templates by shape: ``get(shape, build)`` compiles ``build()`` the first time a shape is
    asked for (per process; the compiled text depends only on the shape)."""

    MAX_SHAPES = 1024

    def __init__(self) -> None:
        self._templates: dict[Hashable, object] = {}
        self._lock = threading.Lock()

    def get(self, shape: Hashable, build: Callable[[], T]) -> T:
        key = (connection.vendor, shape)
        found = self._templates.get(key)
        if found is None:
            found = build()
            with self._lock:
                if len(self._templates) >= self.MAX_SHAPES:
                    self._templates.clear()
                self._templates[key] = found
        return found  # type: ignore[return-value]


def from_db_row(model: type[M], values: Sequence[object]) -> M:
    """An instance of ``model`` from a raw row of its concrete columns, in field order, with the
    values as the ORM gives them (JSON decoded, and so on)."""
    names, converters = _row_readers(model)
    converted = list(values)
    for index, field, field_converters in converters:
        value = converted[index]
        for converter in field_converters:
            value = converter(value, field, connection)
        converted[index] = value
    return model.from_db(connection.alias, names, converted)


_readers: dict[tuple[str, type[Model]], tuple[list[str], list[tuple[int, Any, list[Any]]]]] = {}


def _row_readers(model: type[Model]) -> tuple[list[str], list[tuple[int, Any, list[Any]]]]:
    key = (connection.vendor, model)
    if key not in _readers:
        fields: Sequence[Any] = model._meta.concrete_fields
        converters = [(i, f, f.get_db_converters(connection)) for i, f in enumerate(fields)]
        _readers[key] = ([f.attname for f in fields], [c for c in converters if c[2]])
    return _readers[key]
