"""What the answer-schema bounds cost at their worst, and what Python's backtracking would.

Run from the project root:  python bench/answer_schemas.py

Prints, for each case, the wall time of one evaluation through ``marketplace.answer_schemas``
(RE2 and the work budget), and for the backtracking patterns the time Python's ``re`` takes on
growing inputs (which doubles with each extra character: the ReDoS of issue 13). The budget's
worst cases (an exponential ``$ref`` fan-out, a huge answer) show the most CPU one request can
spend on schemas. Needs no database.
"""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.test_settings")

import django  # noqa: E402

django.setup()

from marketplace.answer_schemas import (  # noqa: E402
    MAX_VALIDATION_WORK,
    ValidationBudgetExceeded,
    answer_errors,
    answer_schema_problems,
)


def timed(function) -> tuple[float, object]:
    start = time.perf_counter()
    try:
        result = function()
    except ValidationBudgetExceeded as exc:
        result = f"budget exceeded ({exc})"
    return time.perf_counter() - start, result


def main() -> None:
    print(f"work budget: {MAX_VALIDATION_WORK} units per request")
    print("\nbacktracking patterns, Python re vs answer_schemas (RE2):")
    for pattern, unit, tail in [("^(a+)+$", "a", "!"), ("^(x+x+)+y$", "x", ""), ("(a|a)*$", "a", "!")]:
        compiled = re.compile(pattern)
        for length in (18, 20, 22):
            seconds, _ = timed(lambda: compiled.search(unit * length + tail))  # noqa: B023
            print(f"  re   {pattern:12} n={length:<7} {seconds * 1000:10.1f} ms")
        schema = {"type": "object", "properties": {"v": {"type": "string", "pattern": pattern}}}
        for length in (25, 10_000, 1_000_000):
            seconds, _ = timed(lambda: answer_errors(schema, {"v": unit * length + tail}))  # noqa: B023
            print(f"  RE2  {pattern:12} n={length:<7} {seconds * 1000:10.1f} ms")

    print("\nbudget worst cases:")
    defs = {f"d{i}": {"allOf": [{"$ref": f"#/$defs/d{i + 1}"}] * 2} for i in range(60)}
    defs["d60"] = {"type": "object"}
    fan_out = {"$defs": defs, "$ref": "#/$defs/d0"}
    seconds, result = timed(lambda: answer_schema_problems(fan_out))
    print(f"  posting a 2**60 $ref fan-out: {seconds:.2f} s -> {result}")
    items = {"type": "array", "items": {"anyOf": [{"type": "integer", "minimum": 5}, {"maximum": 3}]}}
    seconds, result = timed(lambda: answer_errors(items, [4] * 200_000))
    print(f"  an answer of 200,000 items under anyOf: {seconds:.2f} s -> {str(result)[:60]}")
    regex = {"type": "string", "pattern": "[ab]*a[ab]{1000}c"}
    seconds, result = timed(lambda: answer_errors(regex, "ab" * 1_000_000))
    print(f"  a 2 MB string against a 1,000-state DFA-hostile pattern: {seconds:.2f} s -> {str(result)[:60]}")
    unique = {"type": "array", "uniqueItems": True}
    seconds, result = timed(lambda: answer_errors(unique, [{"n": i} for i in range(100_000)]))
    print(f"  uniqueItems over 100,000 objects: {seconds:.2f} s -> {len(result)} errors")


if __name__ == "__main__":
    main()
