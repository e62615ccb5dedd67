import re
from pathlib import Path

from marketplace.errors import ERROR_CODES

ROOT = Path(__file__).resolve().parents[2]


def test_every_error_code_is_documented():
    # given
    doc = (ROOT / "docs" / "api.md").read_text()
    # then
    assert [code for code in ERROR_CODES if f"`{code}`" not in doc] == []


def test_the_recipe_for_an_endpoint_quotes_the_tree():
    # docs/adding-an-endpoint.md works through real files: every path it names exists, and every
    # def or class line it quotes is in the file it quotes (so a rename fails here, not a reader)
    doc = (ROOT / "docs" / "adding-an-endpoint.md").read_text()
    named = set(re.findall(r"`((?:marketplace|labeling|tests|scripts)/[\w/.]+?\.(?:py|md)|scripts/\w+)`", doc))
    assert len(named) >= 10
    assert [path for path in named if not (ROOT / path).exists()] == []
    quoted = re.findall(r"^ *((?:def|class) \w+[^\n]*)$", doc, re.M)
    assert len(quoted) >= 5
    tree = "\n".join(
        path.read_text() for folder in ("marketplace", "labeling", "tests") for path in (ROOT / folder).rglob("*.py")
    )
    assert [line for line in quoted if line.strip() not in tree] == []
