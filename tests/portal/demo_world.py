"""The demo of ``./scripts/serve`` as a test world (``seed_demo`` then ``seed_labeling_demo``,
in a per-test data folder and storage root), plus one labeling job the demo requester posts to
the demo vendor's team over the REST API and the vendor's worker partly answers: so every
portal page, requester's and vendor's, has figures to show.

``figures_of(html)`` reads the figures a page marks with ``data-figure`` (and the bars of its
charts, which carry ``data-count``), for tests that put pages side by side.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from html.parser import HTMLParser

from django.core.management import call_command

from labeling.services.sweeps import run_labeling_sweeps
from marketplace.models import Membership
from tests.support.factories import client_with

from .conftest import signed_in


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: str = ""
    parents: list[dict[str, str]] = field(default_factory=list)


class _FigureParser(HTMLParser):
    """Collects elements with ``data-figure`` or ``data-count``, their text, and the attributes
    of the elements around them (to know which row a cell is in)."""

    VOID = {"br", "img", "input", "meta", "link", "hr", "line", "polygon", "polyline"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[Element] = []
        self.found: list[Element] = []

    def handle_starttag(self, tag, attrs):
        element = Element(tag, {name: value or "" for name, value in attrs}, parents=[e.attrs for e in self.stack])
        if "data-figure" in element.attrs or "data-count" in element.attrs:
            self.found.append(element)
        if tag not in self.VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag, attrs):  # <line/>: nothing inside, nothing to close
        element = Element(tag, {name: value or "" for name, value in attrs}, parents=[e.attrs for e in self.stack])
        if "data-figure" in element.attrs or "data-count" in element.attrs:
            self.found.append(element)

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        while self.stack:
            if self.stack.pop().tag == tag:
                break

    def handle_data(self, data):
        for element in self.stack:
            element.text += data


def figures_of(html: str) -> list[Element]:
    parser = _FigureParser()
    parser.feed(html)
    return parser.found


def one_figure(html: str, name: str, **around: str) -> Element:
    """The only element marked ``data-figure=name`` whose enclosing elements carry ``around``
    (such as ``data_job_id="3"``)."""
    wanted = {key.replace("_", "-"): value for key, value in around.items()}
    matches = [
        element
        for element in figures_of(html)
        if element.attrs.get("data-figure") == name
        and all(
            any(parent.get(key) == value for parent in [element.attrs, *element.parents])
            for key, value in wanted.items()
        )
    ]
    assert len(matches) == 1, f"{len(matches)} figures {name!r} around {around}"
    return matches[0]


def chart_counts(html: str, chart_id: str) -> list[int]:
    """The ``data-count`` of every bar in the chart inside the element ``id=chart_id``."""
    return [
        int(float(element.attrs["data-count"]))
        for element in figures_of(html)
        if "data-count" in element.attrs and any(parent.get("id") == chart_id for parent in element.parents)
    ]


@dataclass
class DemoWorld:
    credentials: dict
    vendor_job_id: int

    @property
    def requester_api(self):
        return client_with(self.credentials["requester"]["api_key"])

    def requester_portal(self):
        return _admin(self.credentials["requester"])

    def vendor_portal(self):
        return _admin(self.credentials["vendor"])


def _admin(who: dict):
    return signed_in(who["admin_username"], who["admin_password"])


def build_demo_world(settings, tmp_path) -> DemoWorld:
    """The demo's data, then a job posted to the vendor's team over the API, two of its three
    objects answered by the vendor's worker (the demo's own two transcriptions stay open)."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    settings.DATA_DIR = tmp_path
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_labeling_demo", stdout=io.StringIO())
    credentials = json.loads((tmp_path / "demo-credentials.json").read_text())
    (settings.STORAGE_ROOT / "demo" / "vendor.jsonl").write_text(
        "".join(json.dumps({"source": text}) + "\n" for text in ("Great phone.", "Awful case.", "Fine, I guess."))
    )
    api = client_with(credentials["requester"]["api_key"])
    response = api.post(
        "/api/v1/labeling-jobs",
        {
            "name": "vendor-reviews",
            "label_attribute_name": "sentiment",
            "task_type": "text_classification",
            "input_manifest_uri": "file://demo/vendor.jsonl",
            "output_uri": "file://demo/output/",
            "label_categories": ["positive", "negative"],
            "title": "Positive or negative?",
            "priority": 50,
            "workers_per_object": 1,
            "workteam_id": credentials["vendor"]["workteam_id"],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    job_id = response.json()["id"]
    run_labeling_sweeps()  # reads the manifest
    vendor_worker = client_with(credentials["vendor"]["worker"]["token"])
    answered = 0
    while answered < 2:  # the job's tasks come first (a higher priority than the demo's own)
        offer = vendor_worker.post("/api/v1/worker/tasks/next")
        assert offer.status_code == 200, offer.content
        task = offer.json()
        answer = {"label": "positive"} if task["task_type"] == "text_classification" else {"text": "copied"}
        submitted = vendor_worker.post(
            f"/api/v1/worker/assignments/{task['assignment_id']}/submit", {"answer": answer}, format="json"
        )
        assert submitted.status_code == 200, submitted.content
        answered += task["task_type"] == "text_classification"
    run_labeling_sweeps()  # consolidates
    Membership.objects.update(password_change_required=False)
    return DemoWorld(credentials=credentials, vendor_job_id=job_id)
