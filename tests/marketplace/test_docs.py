from pathlib import Path

from marketplace.errors import ERROR_CODES

ROOT = Path(__file__).resolve().parents[2]


def test_every_error_code_is_documented():
    # given
    doc = (ROOT / "docs" / "api.md").read_text()
    # then
    assert [code for code in ERROR_CODES if f"`{code}`" not in doc] == []
