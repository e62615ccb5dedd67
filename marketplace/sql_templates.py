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

import itertools
import threading
import time
import weakref
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import orjson
import psycopg
import psycopg.sql
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import JSONField, Model, QuerySet
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init

M = TypeVar("M", bound=Model)
_BASE = -7_300_000_000_000
PLACEHOLDER_TIME = datetime(1901, 2, 3, 4, 5, 6, 789012, tzinfo=UTC)


def placeholder(index: int) -> int:
    """The ``index``-th integer placeholder (distinct from every id and from each other)."""
    return _BASE - index


def placeholders(start: int, count: int) -> list[int]:
    return [placeholder(start + i) for i in range(count)]


def _database() -> BaseDatabaseWrapper:
    """This thread's connection wrapper, looked up once: each use of ``django.db.connection``
    looks it up again (through ``asgiref.local``), which on the hot path added up."""
    return connections[DEFAULT_DB_ALIAS]


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
        try:
            return [values.get(p, p) for p in self.params]
        except TypeError:  # an unhashable constant (a list, say) among them
            return [values.get(p, p) if isinstance(p, Hashable) else p for p in self.params]

    def run(self, values: Mapping[object, object], *, fetch: bool = True) -> tuple[Any, ...] | None:
        """Run the statement with ``values`` in the placeholders' places; its first row (with
        ``fetch``; a statement that returns no rows is run with ``fetch=False``)."""
        with self._cursor(_database()) as cursor:
            cursor.execute(self.sql, self.fill(values))
            return cursor.fetchone() if fetch else None

    def run_all(self, values: Mapping[object, object]) -> list[tuple[Any, ...]]:
        """``run``, returning every row."""
        with self._cursor(_database()) as cursor:
            cursor.execute(self.sql, self.fill(values))
            return cursor.fetchall()

    @staticmethod
    def _cursor(db: BaseDatabaseWrapper) -> Any:
        """On PostgreSQL the statement is bound on the server (psycopg's default cursor, not the
        client-side binding Django uses): the values travel apart from the text, which psycopg
        then neither rewrites nor quotes (a list travels as an array), and the statement is
        prepared on the connection where its ``prepare_threshold`` allows (``_PreparingCursor``).
        The cursor is Django's wrapper all the same (its query log, its
        execute wrappers, its errors)."""
        db.ensure_connection()
        if db.vendor != "postgresql":
            return db.cursor()
        if db.queries_logged:
            return db.make_debug_cursor(_LoggedCursor(db.connection))  # type: ignore[arg-type]
        # Django wraps a database cursor (its stubs say otherwise)
        return db.make_cursor(_PreparingCursor(db.connection))  # type: ignore[arg-type]


class _PreparingCursor(psycopg.Cursor):
    """Asks psycopg to prepare each statement it runs (done on the connection's first run, reused
    after), where the connection's ``prepare_threshold`` allows preparing at all (settings:
    ``DATABASE_PREPARED_STATEMENTS``), and prepares it anew once its plan is
    ``PLAN_MAX_AGE_SECONDS`` old.

    PostgreSQL keeps a prepared statement's plan until a table it reads is analyzed, and the
    planner sizes a table by its pages when it plans. A plan made while the assignments were few
    (a new deployment, a burst of new work, a bench's start) scanned them all for each
    candidate task, and the claim went from 1 ms to 30 ms as they grew, until autovacuum's next
    analyze a minute or more later. So each connection's statements carry a comment naming
    their plan's generation, moved on every few seconds: psycopg then prepares the text anew
    (planned against the tables as they are now) and deallocates the oldest as its cache
    fills. A plan per statement per connection every few seconds costs next to nothing."""

    prepares = True

    def execute(
        self, query: Any, params: Any = None, *, prepare: bool | None = None, binary: bool | None = None
    ) -> Any:
        prepare = self.prepares if prepare is None else prepare
        if prepare and isinstance(query, str):
            query += _plan_generation(self.connection)
        return super().execute(query, params, prepare=prepare, binary=binary)


PLAN_MAX_AGE_SECONDS = 5.0
# per connection: when its current generation began, and the comment naming it
_generations: weakref.WeakKeyDictionary[psycopg.Connection, tuple[float, str]] = weakref.WeakKeyDictionary()
_generation_numbers = itertools.count()


def _plan_generation(raw: psycopg.Connection) -> str:
    """The comment naming this connection's current plan generation (``_PreparingCursor``);
    a new one (numbered across connections, so never one the connection had) once it is old."""
    now = time.monotonic()
    found = _generations.get(raw)
    if found is not None and now - found[0] < PLAN_MAX_AGE_SECONDS:
        return found[1]
    comment = f"\n/* plan {next(_generation_numbers)} */"
    _generations[raw] = (now, comment)
    return comment


class _LoggedCursor(_PreparingCursor):
    """Runs statements unprepared, even one prepared on the connection before: a run of a
    prepared statement leaves Django's query log (``DEBUG``, a test counting queries) no text."""

    prepares = False


def run_together(
    runs: Sequence[tuple[SqlTemplate, Mapping[object, object]]], *, commit: bool = False
) -> list[list[tuple[Any, ...]]]:
    """Run each template with its values, in order, and return each one's rows.

    On PostgreSQL the statements travel together (psycopg's pipeline mode): one round trip for
    all, where one each would cost a network hop and, in a busy process, a wait for the GIL
    after each. The server still runs them one after another, each seeing what the ones before
    it did, exactly as if they were sent one by one; the first that fails raises (the ones after
    it are not run) and leaves the transaction to be rolled back, as any failed statement does.
    Each statement must return rows (a ``SELECT``, or a change ``RETURNING`` them).

    With ``commit``, called as the last work of the outermost ``transaction.atomic`` block, the
    transaction's COMMIT travels in the same round trip, after the statements: the rows they
    lock are released as soon as the server has run them, not once this process (in a busy
    process, after waiting for the GIL) has read their results and left the block. The block's
    own commit then finds nothing left to do; a failure (the COMMIT's deferred checks
    included) raises here and the block rolls back as usual. Inside a nested block (a
    savepoint) the statements run without it: only the outermost block may commit."""
    db = _database()
    if db.vendor != "postgresql" or db.queries_logged:  # a pipeline leaves no text to log
        return [template.run_all(values) for template, values in runs]
    db.ensure_connection()
    commits_here = commit and len(db.atomic_blocks) == 1
    cursors = []
    try:
        with db.connection.pipeline():
            for template, values in runs:
                cursor = SqlTemplate._cursor(db)
                cursors.append(cursor)
                cursor.execute(template.sql, template.fill(values))
            if commits_here:
                db.connection.execute("COMMIT")
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
        vendor = _database().vendor
        key = (vendor, shape)
        found = self._templates.get(key)
        if found is None:
            found = build()
            if vendor == "postgresql":
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
    values as the ORM gives them (JSON decoded, and so on): what ``model.from_db`` makes. The
    fields' converters are applied, not the backend's: on PostgreSQL, where the templates' rows
    come from, the backend has none that matter (SQLite's would make datetimes aware).

    For a model that keeps Django's ``__init__`` and ``from_db`` and has no ``pre_init`` or
    ``post_init`` receiver, the instance is made without ``__init__``: its field values are
    written into its ``__dict__`` (where ``__init__`` would put them one ``setattr`` at a time),
    about half the cost with orjson parsing the JSON columns; the claim and the submit make two
    to four instances per request."""
    db = _database()
    names, converters, plain = _row_readers(model, db)
    converted = list(values)
    for index, field, field_converters in converters:
        value = converted[index]
        for converter in field_converters:
            value = converter(value, field, db)
        converted[index] = value
    if not plain or pre_init.has_listeners(model) or post_init.has_listeners(model):
        return model.from_db(db.alias, names, converted)
    instance = model.__new__(model)
    instance.__dict__.update(zip(names, converted, strict=True))
    state = instance._state = ModelState()
    state.adding, state.db = False, db.alias
    return instance


_readers: dict[tuple[str, type[Model]], tuple[list[str], list[tuple[int, Any, list[Any]]], bool]] = {}


def _row_readers(
    model: type[Model], db: BaseDatabaseWrapper
) -> tuple[list[str], list[tuple[int, Any, list[Any]]], bool]:
    """The model's column names, its fields' converters, and whether it is made as Django makes
    any model (its own ``__init__`` or ``from_db`` would need calling)."""
    key = (db.vendor, model)
    if key not in _readers:
        fields: Sequence[Any] = model._meta.concrete_fields
        converters = [(i, f, _fast_converters(f, f.get_db_converters(db))) for i, f in enumerate(fields)]
        plain = model.__init__ is Model.__init__ and model.from_db.__func__ is Model.from_db.__func__  # type: ignore[attr-defined]
        _readers[key] = ([f.attname for f in fields], [c for c in converters if c[2]], plain)
    return _readers[key]


def _fast_converters(field: Any, converters: list[Any]) -> list[Any]:
    """A JSON field's converter (``json.loads`` of the column's text) replaced by orjson's
    parser, where the field has no decoder of its own; what orjson refuses (an integer beyond
    64 bits) goes to the field's own converter."""
    if isinstance(field, JSONField) and field.decoder is None and converters == [field.from_db_value]:
        return [_json_from_db]
    return converters


def _json_from_db(value: Any, field: Any, db: BaseDatabaseWrapper) -> Any:
    if value is None:
        return None
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:
        return field.from_db_value(value, field, db)
