"""Requesters' JSON Schemas (a task's ``answer_schema``): checked when posted, evaluated in
bounded time whatever a requester or a worker sends.

A schema is the requester's program, run on every answer a worker submits, so each way it could
make a process spend unbounded time or reach outside is closed here, for every keyword at once:

- **Regular expressions run on RE2** (``google-re2``), which cannot backtrack: ``pattern``,
  ``patternProperties`` and the ``additionalProperties``/``unevaluatedProperties`` that consult
  them. jsonschema calls ``re.search`` from its keyword modules; those modules are given an
  RE2 ``search`` instead (``_RE2``), so no keyword can reach Python's backtracking engine.
  Patterns are compiled when the schema is posted: one RE2 cannot run (backreferences,
  lookaround) is a 400 naming its path. RE2 matches in time linear in the text, times the size
  of the compiled pattern; that product is charged to the work budget below before each search.
- **A work budget per request** (``MAX_VALIDATION_WORK``): every keyword evaluated costs one
  unit, a regex search its estimated cost; and at most ``MAX_VALIDATION_CPU_SECONDS`` of the
  thread's CPU time, whatever the units cost. Past either the evaluation stops with
  ``ValidationBudgetExceeded`` (a 400): exponential ``$ref``/``allOf`` fan-outs and huge
  answers end there.
- ``uniqueItems`` is decided by hashing canonical forms, linear in the array (jsonschema's own
  falls back to comparing every pair).
- **Nothing is fetched**: references resolve inside the schema or to the bundled meta-schemas
  only (jsonschema would otherwise fetch an unknown ``$ref``/``$dynamicRef`` URL over HTTP).
- **Size**: at most ``MAX_ANSWER_SCHEMA_CHARS`` of JSON; depth is bounded at the edge
  (``jsonbody.MAX_JSON_DEPTH``).
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import json
import time
from collections.abc import Iterator
from typing import Any

import jsonschema
import jsonschema._keywords
import jsonschema._legacy_keywords
import jsonschema._utils
import re2
import referencing
from jsonschema.exceptions import ValidationError

from .jsonbody import printable_key

MAX_ANSWER_SCHEMA_CHARS = 100_000  # compact JSON; a generous form fits in a tenth of it
# An ordinary answer uses hundreds of units, a 20,000-box answer about 140,000, checking a
# schema of the size of a bounding-box form about 500.
MAX_VALIDATION_WORK = 500_000
# And whatever the units cost on this machine (descending into an item is dearer than a type
# check), at most this much CPU time of the request's thread.
MAX_VALIDATION_CPU_SECONDS = 3.0
# One budget unit buys about this many (text length × compiled program size) steps of RE2.
REGEX_STEPS_PER_UNIT = 500
_RE2_MAX_MEMORY_BYTES = 1 << 20  # caps a compiled pattern's size (and so a search's cost)


class ValidationBudgetExceeded(Exception):
    """Checking one request's answers or schemas needed more than ``MAX_VALIDATION_WORK`` units
    or ``MAX_VALIDATION_CPU_SECONDS`` of CPU."""


# --- the work budget --------------------------------------------------------------------------


class _Budget:
    """What one request may still spend, and the schemas it already judged (a list of 1,000
    tasks usually carries one schema 1,000 times: it is checked once)."""

    def __init__(self) -> None:
        self.remaining = MAX_VALIDATION_WORK
        self.cpu_deadline = time.thread_time() + MAX_VALIDATION_CPU_SECONDS
        self.spends = 0
        self.judged: dict[str, dict[str, str]] = {}


_budget: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar("answer_schema_budget", default=None)


@contextlib.contextmanager
def validation_budget() -> Iterator[None]:
    """Open a budget of ``MAX_VALIDATION_WORK`` for everything evaluated inside; nested calls
    share the outer budget (a 1,000-task post is one request, one budget)."""
    if _budget.get() is not None:
        yield
        return
    token = _budget.set(_Budget())
    try:
        yield
    finally:
        _budget.reset(token)


def _spend(units: int) -> None:
    budget = _budget.get()
    if budget is None:
        return  # our own schemas outside a request (none reaches here with requester input)
    budget.remaining -= units
    if budget.remaining < 0:
        raise ValidationBudgetExceeded(f"checking this needs more than {MAX_VALIDATION_WORK} steps")
    budget.spends += 1
    if budget.spends % 64 == 0 and time.thread_time() > budget.cpu_deadline:  # the clock is a syscall
        raise ValidationBudgetExceeded(f"checking this takes more than {MAX_VALIDATION_CPU_SECONDS:g} s of CPU")


# --- regular expressions on RE2 ---------------------------------------------------------------


def _re2_options() -> re2.Options:
    options = re2.Options()
    options.max_mem = _RE2_MAX_MEMORY_BYTES
    options.log_errors = False  # a requester's bad pattern is a 400, not a line on stderr
    options.never_capture = True
    return options


_OPTIONS = _re2_options()


@functools.lru_cache(maxsize=2048)
def compile_pattern(pattern: str) -> re2._Regexp:
    """Compile a requester's pattern with RE2; raises ``re2.error`` for one RE2 cannot run."""
    return re2.compile(pattern, _OPTIONS)


class _RE2:
    """Stands in for the ``re`` module inside jsonschema's keyword modules (``search`` is all
    they call): every schema regex runs on RE2 and is charged to the budget."""

    @staticmethod
    def search(pattern: str, string: str) -> object:
        compiled = compile_pattern(pattern)
        _spend(1 + len(string) * compiled.programsize // REGEX_STEPS_PER_UNIT)
        return compiled.search(string)


for _module in (jsonschema._keywords, jsonschema._utils, jsonschema._legacy_keywords):
    if not hasattr(_module, "re"):  # a jsonschema release that moved its regexes: look again
        raise ImportError(f"{_module.__name__} no longer imports re; answer_schemas must be revisited")
    _module.re = _RE2


# --- the validator class ----------------------------------------------------------------------


def _canonical(value: object) -> object:
    """A hashable form equal exactly when JSON Schema calls two values equal (``1 == 1.0``,
    ``true != 1``, objects by their members)."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, dict):
        return ("object", frozenset((key, _canonical(item)) for key, item in value.items()))
    if isinstance(value, list):
        return ("array", tuple(_canonical(item) for item in value))
    return ("value", value)


def _unique_items(validator, unique, instance, schema):
    if unique and validator.is_type(instance, "array"):
        seen: set = set()
        for item in instance:
            _spend(1)
            form = _canonical(item)
            if form in seen:
                yield ValidationError("has non-unique elements")
                return
            seen.add(form)


def _counted(keyword):
    def evaluate(validator, value, instance, schema):
        _spend(1)
        return keyword(validator, value, instance, schema)

    return evaluate


# jsonschema's validator classes (the library is untyped here: no stubs pinned)
_BOUNDED: dict[type[Any], type[Any]] = {}


def _bounded_class(base: type[Any]) -> type[Any]:
    """``base`` with every keyword charged to the budget and ``uniqueItems`` made linear."""
    if base in _BOUNDED.values():
        return base
    if base not in _BOUNDED:
        keywords = {name: _counted(keyword) for name, keyword in base.VALIDATORS.items()}
        keywords["uniqueItems"] = _counted(_unique_items)
        _BOUNDED[base] = jsonschema.validators.extend(base, keywords)
    return _BOUNDED[base]


# A subschema that names its own ``$schema`` (the meta-schemas' vocabularies do; a requester's
# may) is evaluated by the class registered for that URI: register the bounded classes, so no
# evaluation leaves the budget by switching dialect. Outside a budget they behave as the stock
# classes do.
for _draft in (
    jsonschema.Draft3Validator,
    jsonschema.Draft4Validator,
    jsonschema.Draft6Validator,
    jsonschema.Draft7Validator,
    jsonschema.Draft201909Validator,
    jsonschema.Draft202012Validator,
):
    jsonschema.validators.validates(f"groundwork-bounded-{_draft.__name__}")(_bounded_class(_draft))


# Only the bundled meta-schemas besides the schema itself: no URL is ever retrieved.
_NO_RETRIEVAL = referencing.Registry()


def answer_validator(schema: dict):
    """A validator for ``schema`` with the bounds of this module (call it inside
    ``validation_budget()``)."""
    base = jsonschema.validators.validator_for(schema)
    return _bounded_class(base)(schema, registry=_NO_RETRIEVAL)


def answer_errors(schema: dict, answer: object) -> list[ValidationError]:
    """Every way ``answer`` fails ``schema``, within the request's budget; raises
    ``ValidationBudgetExceeded`` or whatever a broken schema raises (``RecursionError``, …)."""
    with validation_budget():
        return list(answer_validator(schema).iter_errors(answer))


# --- the posting check ------------------------------------------------------------------------

_NAMED_SUBSCHEMAS = {"properties", "patternProperties", "$defs", "definitions", "dependentSchemas", "dependencies"}
_DATA_KEYWORDS = {"enum", "const", "default", "examples"}


def _patterns(node: object, path: tuple) -> Iterator[tuple[tuple, str]]:
    """Every regex in a schema with its path: ``pattern`` values and ``patternProperties`` keys."""
    if isinstance(node, list):
        for index, item in enumerate(node):
            yield from _patterns(item, (*path, index))
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key in _DATA_KEYWORDS:
            continue
        if key == "pattern" and isinstance(value, str):
            yield (*path, key), value
        if key in _NAMED_SUBSCHEMAS and isinstance(value, dict):
            for name, subschema in value.items():
                if key == "patternProperties":
                    yield (*path, key, name), name
                yield from _patterns(subschema, (*path, key, name))
        else:
            yield from _patterns(value, (*path, key))


def _local_refs(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("$ref", "$dynamicRef", "$recursiveRef") and isinstance(value, str):
                yield value
            elif key not in _DATA_KEYWORDS:
                yield from _local_refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _local_refs(value)


def _dotted(field: str, path: tuple) -> str:
    return "".join([field, *(f".{printable_key(p) if isinstance(p, str) else p}" for p in path)])


@functools.cache
def _meta_format_checker(base: type[Any]) -> jsonschema.FormatChecker:
    """The meta-schema's format checks with ``regex`` meaning RE2 (Python's ``re`` would refuse
    RE2 syntax such as ``\\pL`` and accept backreferences RE2 cannot run)."""
    checker = jsonschema.FormatChecker(formats=())
    checker.checkers = {**base.FORMAT_CHECKER.checkers}
    checker.checkers["regex"] = (lambda value: not isinstance(value, str) or bool(compile_pattern(value)), re2.error)
    return checker


def answer_schema_problems(schema: object, *, field: str = "answer_schema") -> dict[str, str]:
    """Why a requester's answer schema cannot be used, by field path (empty when it can).

    The schema must be an object of at most ``MAX_ANSWER_SCHEMA_CHARS``, valid against its
    meta-schema, with every regex one RE2 runs, every reference inside the schema (``#…``), and
    it must evaluate: a trial validation proves it (a reference to the root or a chain of
    references that never ends would make every submission fail). All of it within the
    request's budget; a schema seen before in the same request is not judged again.
    """
    if not isinstance(schema, dict):
        return {field: "must be a JSON Schema object"}
    text = json.dumps(schema, separators=(",", ":"), sort_keys=True)
    if len(text) > MAX_ANSWER_SCHEMA_CHARS:
        return {field: f"must be at most {MAX_ANSWER_SCHEMA_CHARS} characters of JSON"}
    with validation_budget():
        budget = _budget.get()
        assert budget is not None  # validation_budget() opened one
        judged = budget.judged
        if text not in judged:
            judged[text] = _judge(schema)
        return {f"{field}{path}": problem for path, problem in judged[text].items()}


def _judge(schema: dict) -> dict[str, str]:
    """Problems by path relative to the schema (``""`` for the schema itself, ``".a.b"`` inside)."""
    problems: dict[str, str] = {}
    for path, pattern in _patterns(schema, ()):
        try:
            compile_pattern(pattern)
        except re2.error as exc:
            reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
            problems[_dotted("", path)] = (
                f"is not a regular expression this service runs (RE2 syntax: no backreferences or lookaround): {reason}"
            )
    if problems:
        return problems
    try:
        base = jsonschema.validators.validator_for(schema)
        meta = _bounded_class(jsonschema.validators.validator_for(base.META_SCHEMA))(
            base.META_SCHEMA, format_checker=_meta_format_checker(base), registry=_NO_RETRIEVAL
        )
        error = jsonschema.exceptions.best_match(meta.iter_errors(schema))
        if error is not None:
            return {_dotted("", tuple(error.absolute_path)): f"is not valid JSON Schema: {error.message[:300]}"}
        for ref in _local_refs(schema):
            if not ref.startswith("#"):
                return {"": f'reference {ref[:200]!r} must point inside the schema ("#…")'}
        for probe in ({}, {"label": "x"}, {"labels": ["x"]}):
            list(answer_validator(schema).iter_errors(probe))
    except ValidationBudgetExceeded as exc:
        return {"": f"is too costly to evaluate ({exc})"}
    except Exception as exc:  # a "$schema" that is not a string, RecursionError, Unresolvable, …
        return {"": f"cannot be evaluated ({exc.__class__.__name__}): {str(exc)[:200]}"}
    return {}
