"""Helpers of the MTurk tests: a HIT as a script would create it, and a worker's side over the
worker REST API of the live server."""

from __future__ import annotations

from xml.etree import ElementTree

from marketplace.questions import ANSWERS_NAMESPACE
from tests.marketplace.test_mturk_questions import HTML_QUESTION

__all__ = ["HTML_QUESTION", "answers_of", "claim", "create_hit", "submit"]


def create_hit(client, **overrides) -> dict:
    params = {
        "Title": "Sentiment of a review",
        "Description": "Read one sentence and say whether it is positive.",
        "Reward": "0.05",
        "MaxAssignments": 1,
        "LifetimeInSeconds": 3600,
        "AssignmentDurationInSeconds": 600,
        "AutoApprovalDelayInSeconds": 86400,
        "Question": HTML_QUESTION,
        **overrides,
    }
    return client.create_hit(**params)["HIT"]


def claim(api) -> dict | None:
    """The next task for the worker of ``api`` (``worker_api(worker)``), or None (204)."""
    response = api.post("/api/v1/worker/tasks/next")
    assert response.status_code in (200, 204), response.text
    return response.json() if response.status_code == 200 else None


def submit(api, assignment_id, answer: dict) -> None:
    response = api.post(f"/api/v1/worker/assignments/{assignment_id}/submit", json={"answer": answer})
    assert response.status_code == 200, response.text


def answers_of(xml: str) -> list[tuple[str, str]]:
    """A QuestionFormAnswers document as (QuestionIdentifier, FreeText) pairs, in order."""
    root = ElementTree.fromstring(xml)
    ns = {"q": ANSWERS_NAMESPACE}
    assert root.tag == f"{{{ANSWERS_NAMESPACE}}}QuestionFormAnswers"
    return [
        (answer.findtext("q:QuestionIdentifier", namespaces=ns), answer.findtext("q:FreeText", namespaces=ns))
        for answer in root.findall("q:Answer", ns)
    ]
