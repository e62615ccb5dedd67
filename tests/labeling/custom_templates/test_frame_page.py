"""The template frame's page as the server serves it (docs/templates.md "The sandbox"): its
policy, the template rendered with the worker's view of the input, and who may see it."""

from __future__ import annotations

import re

import pytest

from labeling.services.sweeps import run_labeling_sweeps
from marketplace.services.worker_accounts import worker_password_set
from tests.console.test_console_accounts import console_client
from tests.labeling.jobs_lifecycle.helpers import manifest
from tests.support.factories import client_with
from tests.support.worker_api import claim_offer

pytestmark = pytest.mark.django_db

TEMPLATE = """<p title="{{ task.input.caption }}">{{ task.input.caption }}</p>
<gw-classifier src="{{ task.input.source-url }}" labels="{{ task.labels | to_json }}"></gw-classifier>
<script>document.title = "tpl";</script><script src="https://cdn.example/x.js"></script>"""


@pytest.fixture
def offered(bucket, requester, make_worker):
    """A worker with a console password holding an assignment of a templated image job."""
    bucket.put("img/a.png", b"png")
    bucket.put("img/in.jsonl", manifest([{"source-ref": bucket.uri("img/a.png"), "caption": '"><b>x</b>'}]))
    body = {
        "name": "framed",
        "label_attribute_name": "kind",
        "task_type": "image_classification",
        "label_categories": ["a", "b"],
        "template": TEMPLATE,
        "worker_visible_keys": ["caption"],
        "input_manifest_uri": bucket.uri("img/in.jsonl"),
        "output_uri": bucket.uri("out/"),
        "title": "Framed",
        "reward": "0.05",
    }
    assert client_with(requester.api_key).post("/api/v1/labeling-jobs", body, format="json").status_code == 201
    run_labeling_sweeps()
    worker = make_worker()
    worker_password_set(worker=worker, password="a long enough password")
    return worker, claim_offer(worker)


def test_the_frame_is_sandboxed_and_reaches_only_the_tasks_object(offered, bucket):
    worker, offer = offered

    response = console_client(worker, "a long enough password").get(
        f"/console/templates/assignments/{offer['assignment_id']}/frame"
    )

    assert response.status_code == 200
    policy = dict(part.split(" ", 1) for part in response["Content-Security-Policy"].split("; "))
    object_url = offer["input"]["source-url"].split("?")[0]
    assert object_url.startswith(bucket.endpoint_url) and object_url.endswith("/img/a.png")
    assert policy["sandbox"] == "allow-scripts allow-forms"
    assert policy["default-src"] == "'none'"
    assert policy["connect-src"] == object_url
    assert policy["img-src"] == f"data: blob: {object_url}"
    assert policy["form-action"] == "'none'" and policy["frame-ancestors"] == "'self'"
    html = response.content.decode()
    nonce = re.search(r'<script type="module" nonce="([^"]+)"', html).group(1)
    script_sources = policy["script-src"].split()
    assert script_sources[:2] == [f"'nonce-{nonce}'", "http://testserver/static/console/"]
    assert len(script_sources) == 3 and script_sources[2].startswith("'sha256-")  # the inline script only
    assert '<p title="&quot;&gt;&lt;b&gt;x&lt;/b&gt;">&quot;&gt;&lt;b&gt;x&lt;/b&gt;</p>' in html
    assert 'labels="[&quot;a&quot;,&quot;b&quot;]"' in html and "$template" not in html


def test_only_the_signed_in_holder_of_the_assignment_sees_the_frame(offered, make_worker):
    worker, offer = offered
    other = make_worker()
    worker_password_set(worker=other, password="a long enough password")
    path = f"/console/templates/assignments/{offer['assignment_id']}/frame"

    assert console_client().get(path).status_code == 403
    assert console_client(other, "a long enough password").get(path).status_code == 404


def test_a_source_url_groundwork_did_not_sign_adds_nothing_to_the_policy(bucket, requester, make_worker):
    # given: a custom job whose line carries its own "source-url" (no source-ref), crafted to
    # add a directive to the frame's policy
    hostile = "https://evil.example/a; connect-src * ,x"
    bucket.put("c/in.jsonl", manifest([{"source": "t", "source-url": hostile}]))
    body = {
        "name": "unsigned",
        "label_attribute_name": "note",
        "task_type": "custom",
        "template": '<p data-u="{{ task.input.source-url }}">{{ task.input.source }}</p><textarea name="n"></textarea>',
        "input_manifest_uri": bucket.uri("c/in.jsonl"),
        "output_uri": bucket.uri("out/"),
        "worker_visible_keys": ["source-url"],
        "title": "Unsigned",
        "reward": "0.05",
    }
    assert client_with(requester.api_key).post("/api/v1/labeling-jobs", body, format="json").status_code == 201
    run_labeling_sweeps()
    worker = make_worker()
    worker_password_set(worker=worker, password="a long enough password")
    offer = claim_offer(worker)
    assert offer["input"]["source-url"] == hostile

    # when
    response = console_client(worker, "a long enough password").get(
        f"/console/templates/assignments/{offer['assignment_id']}/frame"
    )

    # then: the value is only data; the policy has its fixed directives and reaches nothing
    assert response.status_code == 200
    directives = [part.split(" ", 1) for part in response["Content-Security-Policy"].split("; ")]
    names = [name for name, _ in directives]
    assert len(names) == len(set(names)) == 11
    policy = dict(directives)
    assert policy["connect-src"] == "'none'" and policy["img-src"] == "data: blob:"
    assert "evil.example" not in response["Content-Security-Policy"]


def test_a_signed_object_path_cannot_split_the_policy(rf):
    from labeling.console.template_frames import task_object_urls

    urls = task_object_urls(rf.get("/"), {"source-url": "https://s3.example/b/a;x, y z.png?sig=1"}, signed=True)

    assert urls == ["https://s3.example/b/a%3Bx%2C%20y%20z.png"]
    assert task_object_urls(rf.get("/"), {"source-url": "https://s3.example/a.png"}, signed=False) == []


def test_the_host_page_frames_only_the_template_and_only_for_its_holder(offered, make_worker):
    worker, offer = offered
    other = make_worker()
    worker_password_set(worker=other, password="a long enough password")
    path = f"/console/templates/assignments/{offer['assignment_id']}/host"

    response = console_client(worker, "a long enough password").get(path)

    assert response.status_code == 200
    policy = dict(part.split(" ", 1) for part in response["Content-Security-Policy"].split("; "))
    frame_path = f"/console/templates/assignments/{offer['assignment_id']}/frame"
    assert policy["frame-src"] == f"http://testserver{frame_path}"
    assert policy["default-src"] == "'none'" and policy["frame-ancestors"] == "'self'"
    assert f'src="{frame_path}" sandbox="allow-scripts allow-forms"' in response.content.decode()
    assert console_client().get(path).status_code == 403
    assert console_client(other, "a long enough password").get(path).status_code == 404
