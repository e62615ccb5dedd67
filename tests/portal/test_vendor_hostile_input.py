"""Requester- and worker-controlled text is inert wherever the vendor portal shows it: escaped in
HTML pages, escaped inside the inline SVG charts (which must stay well-formed XML), and
spreadsheet-safe in the statement CSV."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ElementTree

import pytest

from labeling.models import LabelingJob
from labeling.portal import svg
from labeling.services.sweeps import run_labeling_sweeps
from marketplace.services.organizations import requester_create
from tests.support.factories import fund

from .conftest import signed_in
from .vendor_world import answer_next, approve, make_vendor, make_worker, post_job, subscribe

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
FORMULA = '=HYPERLINK("http://x")'
HOSTILE = FORMULA + SCRIPT
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"


@pytest.fixture
def hostile_world(storage_root):
    """A requester named ``HOSTILE`` whose job (renamed ``HOSTILE`` behind the API's back: the
    pages must not rely on the API's name rules) has hostile labels, texts and instructions,
    answered with the hostile label and paid (one object left, so the dashboard lists it)."""
    requester = requester_create(name=HOSTILE)
    fund(requester.organization, 10_000_000)
    vendor = make_vendor()
    subscribe(requester, vendor)
    job = post_job(
        requester,
        vendor,
        storage_root,
        lines=[{"source": f"{SCRIPT} {i}"} for i in range(4)],
        label_categories=[SCRIPT, FORMULA],
        title=SCRIPT,
        description=SCRIPT,
        instructions=SCRIPT,
    )
    LabelingJob.objects.filter(pk=job.pk).update(name=HOSTILE)
    worker = make_worker(vendor)
    for _ in range(3):
        approve(requester, answer_next(worker, choose=lambda task_input: {"label": SCRIPT}))
    run_labeling_sweeps()
    return {"requester": requester, "vendor": vendor, "job": job}


def assert_inert_html(html: str) -> None:
    assert SCRIPT not in html
    assert "<script" not in html.lower()
    assert ESCAPED_SCRIPT in html  # it did reach the page, as text


def svgs(html: str) -> list[str]:
    return re.findall(r"<svg.*?</svg>", html, re.S)


@pytest.mark.parametrize("url", ["/portal/vendor/", "/portal/vendor/earnings", "/portal/vendor/jobs/{job}"])
def test_hostile_names_are_escaped_on_vendor_pages(hostile_world, url):
    html = hostile_world["vendor"].client().get(url.format(job=hostile_world["job"].pk)).content.decode()
    assert_inert_html(html)


def test_hostile_text_is_escaped_on_the_requester_job_page(hostile_world):
    requester = hostile_world["requester"]
    client = signed_in(requester.admin_username, requester.admin_password)
    html = client.get(f"/portal/requester/jobs/{hostile_world['job'].pk}").content.decode()
    assert_inert_html(html)


def test_hostile_labels_are_escaped_inside_the_charts(hostile_world):
    html = hostile_world["vendor"].client().get(f"/portal/vendor/jobs/{hostile_world['job'].pk}").content.decode()
    label_chart = re.search(r'id="label-chart">(<svg.*?</svg>)', html, re.S).group(1)
    assert ESCAPED_SCRIPT in label_chart
    for chart in svgs(html):
        root = ElementTree.fromstring(chart)  # well-formed: nothing broke out of a text node
        assert not [element for element in root.iter() if element.tag.endswith("script")]
        assert not [name for element in root.iter() for name in element.attrib if name.lower().startswith("on")]


def test_hostile_names_are_spreadsheet_safe_in_the_statement_csv(hostile_world):
    text = hostile_world["vendor"].client().get("/portal/vendor/earnings/statement.csv").content.decode()
    rows = list(csv.DictReader(io.StringIO(text)))[1:-1]
    assert len(rows) == 3
    for row in rows:
        assert row["requester"] == "'" + HOSTILE
        assert row["job"] == "'" + HOSTILE
    for row in csv.reader(io.StringIO(text)):
        assert not any(cell.lstrip()[:1] in ("=", "+", "@") for cell in row)
        assert not any(cell.startswith("-") and not re.fullmatch(r"-\d+\.\d+", cell) for cell in row)


@pytest.mark.parametrize(
    "chart",
    [
        lambda text: svg.bar_svg([(text, 3)], title=text, noun=text),
        lambda text: svg.histogram_svg([1, 2], [0, 0.5, 1], title=text, x_label=text),
        lambda text: svg.area_svg([], title=text),
    ],
)
def test_every_chart_escapes_every_text_it_is_given(chart):
    hostile = '"><script>alert(1)</script><rect onload="x'
    drawn = str(chart(hostile))
    assert "<script" not in drawn and 'onload="x' not in drawn
    root = ElementTree.fromstring(drawn)
    assert all(not element.tag.endswith("script") for element in root.iter())
