"""Calibration benchmark (issue 23): is each written confidence the probability it says?

Run from the project root:  python bench/calibration.py  [--seeds N] [--only classes|geometric]
[--tables] [--no-before] [--kind K] [--crowd C] [--workers N] [--gold yes|no]  (the last four
narrow the geometric rows to one setting, for iterating on it)

For every task type, simulated crowd, number of workers per object (1, 2, 3, 5) and with or
without gold, the ECE (10 equal-width bins) of the confidences Groundwork writes, before (the
code at ``calibration_common.BEFORE_COMMIT``, read from git and imported as
``consolidation_before``) and after (the working tree), side by side, with a one-line reliability
table per row (``--tables``: one line per bin); then each shared real dataset's single-label
ECE before and after. Rows come from ``bench/calibration_classes.py`` (classification,
multi-label) and ``bench/calibration_geometric.py`` (boxes, spans, masks; skipped with a note
while it does not exist). ``--seeds`` deepens the run (default 2 seeds, about 3 minutes).
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.append(str(BENCH))  # after the root: bench/consolidation.py must not shadow the package

from calibration_common import Row, reliability_compact, reliability_text  # noqa: E402

MODULES = {"classes": "calibration_classes", "geometric": "calibration_geometric"}


def _rows(module_name: str, *, before: bool, seeds: list[int], filters: dict | None = None) -> list[Row] | None:
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name != module_name:
            raise
        return None
    if filters:
        return module.rows(before=before, seeds=seeds, **filters)
    return module.rows(before=before, seeds=seeds)


def _print(before: list[Row], after: list[Row], *, tables: bool) -> None:
    old = {row.key: row for row in before}
    header = (
        f"{'type':<17}{'crowd':<30}{'w':>2} {'gold':<5}{'n':>7} "
        f"{'ECE before':>10} {'ECE after':>9} {'acc before':>10} {'acc after':>9}"
    )
    print(header)
    for row in after:
        prior = old.get(row.key)
        before_ece = f"{prior.ece:10.3f}" if prior else f"{'-':>10}"
        before_acc = f"{prior.accuracy:10.4f}" if prior else f"{'-':>10}"
        print(
            f"{row.task_type:<17}{row.crowd:<30}{row.workers:>2} {'yes' if row.gold else 'no':<5}"
            f"{row.confidence.size:>7} {before_ece} {row.ece:9.3f} {before_acc} {row.accuracy:9.4f}"
            + (f"  {row.note}" if row.note else "")
        )
        if tables:
            if prior:
                print("   before:")
                print(reliability_text(prior))
            print("   after:")
            print(reliability_text(row))
        else:
            if prior:
                print(f"   before: {reliability_compact(prior)}" + (f"  [{prior.note}]" if prior.note else ""))
            print(f"   after:  {reliability_compact(row)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=2, help="seeds per setting (default 2)")
    parser.add_argument("--only", choices=sorted(MODULES), help="one module's rows only")
    parser.add_argument("--tables", action="store_true", help="full reliability tables, one line per bin")
    parser.add_argument("--kind", action="append", help="geometric only: a task type (bounding_box, ...); repeatable")
    parser.add_argument("--crowd", action="append", help="geometric only: project or hard; repeatable")
    parser.add_argument("--workers", type=int, action="append", help="geometric only: workers per item; repeatable")
    parser.add_argument("--gold", choices=["yes", "no"], help="geometric only: jobs with gold or without")
    parser.add_argument("--no-before", action="store_true", help="skip the code before issue 23 (faster)")
    args = parser.parse_args()
    filters = {
        key: tuple(value)
        for key, value in (("kinds", args.kind), ("crowds", args.crowd), ("workers", args.workers))
        if value
    }
    if args.gold:
        filters["golds"] = (args.gold == "yes",)
    seeds = list(range(args.seeds))
    started = time.perf_counter()
    print("Calibration (issue 23): ECE over 10 bins of the written confidences, before -> after")
    print("  reliability: mean confidence>observed frequency(count) per non-empty bin")
    for key, module_name in MODULES.items():
        if args.only and args.only != key:
            continue
        t0 = time.perf_counter()
        narrowed = filters if key == "geometric" else None
        if filters and key != "geometric":
            print(f"\n== {key}: skipped (--kind/--crowd/--workers/--gold narrow the geometric rows)")
            continue
        after = _rows(module_name, before=False, seeds=seeds, filters=narrowed)
        if after is None:
            print(f"\n== {key}: bench/{module_name}.py not present yet, skipped")
            continue
        before = [] if args.no_before else _rows(module_name, before=True, seeds=seeds, filters=narrowed) or []
        print(f"\n== {key} ({len(seeds)} seeds, {time.perf_counter() - t0:.0f} s)")
        _print(before, after, tables=args.tables)
    print(f"\ntotal {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
