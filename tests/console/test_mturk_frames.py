"""MTurk questions in the console: the HTMLQuestion frame (sandboxed, strict CSP, MTurk's query),
the ExternalQuestion redirect, and ``{turkSubmitTo}/mturk/externalSubmit`` (labeling/console/mturk_frames.py)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from marketplace.models import Assignment
from marketplace.services.worker_accounts import worker_password_set
from tests.marketplace.test_mturk_questions import EXTERNAL_QUESTION, HTML_QUESTION
from tests.support.factories import client_with

from .conftest import CONSOLE_PASSWORD, screenshot, sign_in
from .test_console_accounts import console_client
from .test_console_working import start_working

pytestmark = pytest.mark.django_db


@pytest.fixture
def question_worker(make_worker):
    worker = make_worker()
    worker_password_set(worker=worker, password=CONSOLE_PASSWORD)
    return worker


def claim_question(requester, worker, question: str, settings=None) -> dict:
    response = client_with(requester.api_key).post(
        "/api/v1/tasks",
        {"title": "q", "reward": "0.05", "task_type": "mturk_question", "input": {"question": question}},
        format="json",
    )
    assert response.status_code == 201, response.content
    return worker.client.post("/api/v1/worker/tasks/next").json()


def test_the_html_frame_carries_mturks_query_and_a_sandboxing_policy(requester, question_worker):
    offered = claim_question(requester, question_worker, HTML_QUESTION)
    client = console_client(question_worker)
    frame = f"/console/mturk/assignments/{offered['assignment_id']}/frame"

    # when: the console's frame URL first redirects to itself with MTurk's query
    redirect = client.get(frame)
    query = parse_qs(urlsplit(redirect["Location"]).query)
    page = client.get(redirect["Location"])

    # then
    assert redirect.status_code == 302
    assert {k: v[0] for k, v in query.items() if k != "turkSubmitTo"} == {
        "assignmentId": str(offered["assignment_id"]),
        "hitId": str(offered["task_id"]),
        "workerId": str(question_worker.pk),
    }
    assert query["turkSubmitTo"][0].startswith("http://testserver/console/mturk/submit/")
    assert page.status_code == 200
    policy = page["Content-Security-Policy"]
    assert policy.startswith("sandbox allow-forms allow-scripts")
    assert "allow-same-origin" not in policy
    assert "connect-src 'none'" in policy and "form-action http://testserver/console/mturk/submit/" in policy
    assert page["X-Frame-Options"] == "SAMEORIGIN"
    html = page.content.decode()
    assert f'data-submit-to="{query["turkSubmitTo"][0]}/mturk/externalSubmit"' in html
    assert html.index("<head>") < html.index("mturk-frame.js") < html.index("<title>Sentiment")


def test_external_submit_records_the_form_as_the_answer(requester, question_worker):
    offered = claim_question(requester, question_worker, HTML_QUESTION)
    location = console_client(question_worker).get(f"/console/mturk/assignments/{offered['assignment_id']}/frame")
    submit_to = parse_qs(urlsplit(location["Location"]).query)["turkSubmitTo"][0]
    path = urlsplit(submit_to).path + "/mturk/externalSubmit"
    anonymous = console_client()  # a sandboxed frame or the requester's site: no session

    # when
    response = anonymous.post(
        path, {"assignmentId": str(offered["assignment_id"]), "sentiment": "positive", "tags": ["a", "b"]}
    )

    # then
    assert response.status_code == 200, response.content
    assignment = Assignment.objects.get(pk=offered["assignment_id"])
    assert (assignment.status, assignment.answer) == ("submitted", {"sentiment": "positive", "tags": "a|b"})
    assert b'"type": "gw-mturk-submitted"' in response.content
    # the identical form again is accepted (as the console's own submit of it is); another is refused
    assert anonymous.post(path, {"sentiment": "positive", "tags": ["a", "b"]}).status_code == 200
    changed = anonymous.post(path, {"sentiment": "negative"})
    assert changed.status_code == 409 and b"already_submitted" in changed.content
    assert Assignment.objects.get(pk=offered["assignment_id"]).answer == {"sentiment": "positive", "tags": "a|b"}


def test_a_forged_token_or_another_assignment_id_is_refused(requester, question_worker):
    offered = claim_question(requester, question_worker, HTML_QUESTION)
    location = console_client(question_worker).get(f"/console/mturk/assignments/{offered['assignment_id']}/frame")
    submit_to = urlsplit(parse_qs(urlsplit(location["Location"]).query)["turkSubmitTo"][0]).path
    forged = submit_to[:-2] + ("AA" if not submit_to.endswith("AA") else "BB")
    client = console_client()

    assert client.post(f"{forged}/mturk/externalSubmit", {"sentiment": "positive"}).status_code == 404
    assert client.post(f"{submit_to}/mturk/externalSubmit", {"assignmentId": "999", "x": "y"}).status_code == 400
    assert Assignment.objects.get(pk=offered["assignment_id"]).status == "accepted"


def test_another_workers_assignment_has_no_frame(requester, question_worker, make_worker):
    offered = claim_question(requester, make_worker(), HTML_QUESTION)

    response = console_client(question_worker).get(f"/console/mturk/assignments/{offered['assignment_id']}/frame")

    assert response.status_code == 404


def test_an_external_question_redirects_to_the_requesters_url_with_mturks_query(requester, question_worker):
    offered = claim_question(requester, question_worker, EXTERNAL_QUESTION)

    response = console_client(question_worker).get(f"/console/mturk/assignments/{offered['assignment_id']}/frame")

    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert (target.scheme, target.netloc, target.path) == ("https", "survey.example.com", "/hit")
    query = parse_qs(target.query)
    assert query["study"] == ["7"]
    assert (query["assignmentId"], query["hitId"], query["workerId"]) == (
        [str(offered["assignment_id"])],
        [str(offered["task_id"])],
        [str(question_worker.pk)],
    )
    assert query["turkSubmitTo"][0].startswith("http://testserver/console/mturk/submit/")


def test_a_worker_answers_an_html_question_in_the_console(console_server, console_page, console_worker, post_tasks):
    # given: a published HTMLQuestion HIT template with a form
    post_tasks(1, title="Sentiment", task_type="mturk_question", input={"question": HTML_QUESTION})
    sign_in(console_page, console_worker)
    start_working(console_page)
    console_page.wait_for_selector("#task:not([hidden]) gw-mturk-question iframe")
    frame = console_page.frame_locator("gw-mturk-question iframe")
    sandbox = console_page.get_attribute("gw-mturk-question iframe", "sandbox")
    assert sandbox == "allow-forms allow-scripts allow-popups allow-modals"  # never same-origin with the console

    # when: the worker fills the requester's own form inside the sandboxed frame and submits it
    frame.locator("input[name=sentiment][value=positive]").check()
    frame.locator("textarea[name=comment]").fill("short & sweet")
    screenshot(console_page, "mturk-html-question")
    frame.locator("#submitButton").click()

    # then: the answer is recorded and the console moves on
    console_page.wait_for_function("() => !document.getElementById('idle').hidden")
    assignment = Assignment.objects.get(worker=console_worker)
    assert (assignment.status, assignment.answer) == (
        "submitted",
        {"sentiment": "positive", "comment": "short & sweet"},
    )
    assert [e for e in console_page.console_errors if "Content Security Policy" in e] == []
