"""Rendering a template: every value escaped where it lands, JSON on request, nothing for a
missing key, and the CSP hashes of the template's inline scripts (docs/templates.md)."""

from __future__ import annotations

import base64
import hashlib

from labeling.custom_templates.templates import inline_script_hashes, render

HOSTILE = '"><script>alert(1)</script><img src=x onerror=alert(2)>'


def test_every_value_is_escaped_in_text_and_in_attributes():
    template = '<p title="{{ task.input.caption }}">{{ task.input.caption }}</p>'

    rendered = render(template, task_input={"caption": HOSTILE}, labels=[])

    escaped = "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;"
    assert rendered == f'<p title="{escaped}">{escaped}</p>'


def test_json_lists_and_nested_keys_and_missing_keys():
    template = "{{ task.labels | to_json }}|{{ task.input.meta.size }}|{{ task.input.source-url }}|{{task.input.none}}|"

    rendered = render(
        template,
        task_input={"meta": {"size": [2, 3]}, "source-url": "https://s3/x.png?a=1&b=2"},
        labels=["cat", "d'og"],
    )

    assert rendered == "[&quot;cat&quot;,&quot;d&#x27;og&quot;]|[2,3]|https://s3/x.png?a=1&amp;b=2||"


def test_inline_scripts_are_hashed_as_written_and_sourced_ones_not_at_all():
    template = '<script>document.title = "x";</script><script src="https://cdn.example/x.js"></script>'

    hashes = inline_script_hashes(template)

    digest = base64.b64encode(hashlib.sha256(b'document.title = "x";').digest()).decode()
    assert hashes == [f"'sha256-{digest}'"]
