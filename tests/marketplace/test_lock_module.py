"""Row locks are taken in one module, in one order (marketplace/locking.py, docs/concurrency.md)."""

from __future__ import annotations

from pathlib import Path

from marketplace import locking

ROOT = Path(__file__).resolve().parents[2]


def test_select_for_update_appears_only_in_the_lock_module():
    # given every source file of the apps (migrations hold no locks)
    sources = [
        path
        for package in ("marketplace", "labeling", "consolidation", "aws")
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts
    ]

    # when
    lockers = sorted(
        str(path.relative_to(ROOT)) for path in sources if "select_for_update" in path.read_text(encoding="utf-8")
    )

    # then
    assert lockers == ["marketplace/locking.py"]


def test_the_concurrency_page_names_every_helper_of_the_lock_module():
    # given
    page = (ROOT / "docs" / "concurrency.md").read_text(encoding="utf-8")
    helpers = [name for name in vars(locking) if name.startswith(("lock_", "locked_", "unlocked_", "claim_"))]

    # then
    assert helpers
    assert [name for name in helpers if f"`{name}`" not in page] == []
