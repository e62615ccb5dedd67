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
import psycopg.sql
from django.db import connection
from django.db.models import Model, QuerySet

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
        ``fetch``; a statement that returns no rows is run with ``fetch=False``)."""
        with self._cursor() as cursor:
            cursor.execute(self.sql, self.fill(values))
            return cursor.fetchone() if fetch else None

    def run_all(self, values: Mapping[object, object]) -> list[tuple[Any, ...]]:
        """``run``, returning every row."""
        with self._cursor() as cursor:
            cursor.execute(self.sql, self.fill(values))
            return cursor.fetchall()

    @staticmethod
    def _cursor() -> Any:
        """On PostgreSQL the statement is bound on the server (psycopg's default cursor, not the
        client-side binding Django uses): the values travel apart from the text, which psycopg
        then neither rewrites nor quotes (a list travels as an array), and the statement is
        prepared on the connection where its ``prepare_threshold`` allows (``_PreparingCursor``).
        The cursor is Django's wrapper all the same (its query log, its
        execute wrappers, its errors)."""
        connection.ensure_connection()
        if connection.vendor != "postgresql":
            return connection.cursor()
        if connection.queries_logged:
            return connection.make_debug_cursor(_LoggedCursor(connection.connection))  # type: ignore[arg-type]
        # Django wraps a database cursor (its stubs say otherwise)
        return connection.make_cursor(_PreparingCursor(connection.connection))  # type: ignore[arg-type]


class _PreparingCursor(psycopg.Cursor):
    """Asks psycopg to prepare each statement it runs (done on the connection's first run, reused
    after), where the connection's ``prepare_threshold`` allows preparing at all (settings:
    ``DATABASE_PREPARED_STATEMENTS``)."""

    prepares = True

    def execute(
        self, query: Any, params: Any = None, *, prepare: bool | None = None, binary: bool | None = None
    ) -> Any:
        return super().execute(query, params, prepare=self.prepares if prepare is None else prepare, binary=binary)


class _LoggedCursor(_PreparingCursor):
    """Runs statements unprepared, even one prepared on the connection before: a run of a
    prepared statement leaves Django's query log (``DEBUG``, a test counting queries) no text."""

    prepares = False


def run_together(runs: Sequence[tuple[SqlTemplate, Mapping[object, object]]]) -> list[list[tuple[Any, ...]]]:
    """Run each template with its values, in order, and return each one's rows.

    On PostgreSQL the statements travel together (psycopg's pipeline mode): one round trip for
    all, where one each would cost a network hop and, in a busy process, a wait for the GIL
    after each. The server still runs them one after another, each seeing what the ones before
    it did, exactly as if they were sent one by one; the first that fails raises (the ones after
    it are not run) and leaves the transaction to be rolled back, as any failed statement does.
    Each statement must return rows (a ``SELECT``, or a change ``RETURNING`` them)."""
    if connection.vendor != "postgresql" or connection.queries_logged:  # a pipeline leaves no text to log
        return [template.run_all(values) for template, values in runs]
    connection.ensure_connection()
    cursors = []
    try:
        with connection.connection.pipeline():
            for template, values in runs:
                cursor = SqlTemplate._cursor()
                cursors.append(cursor)
                cursor.execute(template.sql, template.fill(values))
            return [cursor.fetchall() for cursor in cursors]
    finally:
        for cursor in cursors:
            cursor.close()


class TemplateCache:
    """Templates by shape: ``get(shape, build)`` compiles ``build()`` the first time a shape is
    asked for (per process; the compiled text depends only on the shape).

    On PostgreSQL the template's constants (every parameter that is not a placeholder, such as
    ``status = 'open'``) are written into its text: a prepared statement may settle on a plan
    made without its parameters' values, and only a constant in the text lets that plan use a
    partial index such as ``task_open_queue`` (``WHERE status = 'open'``)."""

    MAX_SHAPES = 1024

    def __init__(self) -> None:
        self._templates: dict[Hashable, SqlTemplate] = {}
        self._lock = threading.Lock()

    def get(self, shape: Hashable, build: Callable[[], SqlTemplate]) -> SqlTemplate:
        key = (connection.vendor, shape)
        found = self._templates.get(key)
        if found is None:
            found = build()
            if connection.vendor == "postgresql":
                found = _constants_inlined(found)
            with self._lock:
                if len(self._templates) >= self.MAX_SHAPES:
                    self._templates.clear()
                self._templates[key] = found
        return found


def _is_placeholder(value: object) -> bool:
    if isinstance(value, datetime):
        return value == PLACEHOLDER_TIME
    return type(value) is int and _BASE - 1_000_000 < value <= _BASE


def _constants_inlined(template: SqlTemplate) -> SqlTemplate:
    """``template`` with each parameter that is not a placeholder written into the text as a
    literal (quoted by psycopg), so that only placeholders remain parameters."""
    pieces = template.sql.split("%s")
    if len(pieces) != len(template.params) + 1:
        raise ValueError("cannot inline into SQL holding a literal %s")
    text, kept = [pieces[0]], []
    for param, piece in zip(template.params, pieces[1:], strict=True):
        if _is_placeholder(param):
            text.append("%s")
            kept.append(param)
        else:  # a literal's own % would read as a parameter marker
            text.append(psycopg.sql.Literal(param).as_string(None).replace("%", "%%"))
        text.append(piece)
    return SqlTemplate("".join(text), tuple(kept))


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
