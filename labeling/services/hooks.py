"""A labeling job's hooks, Groundwork's answer to Ground Truth's Lambdas (docs/templates.md
"Hooks"): the requester's own HTTPS endpoints, called from the background passes only.

- ``pre_task_hook_url`` turns a manifest line into the task's input (``pre_task_request``,
  ``read_task_input``), when the job ingests its manifest.
- ``consolidation_hook_url`` receives one object's answers and returns its label and confidence
  (``consolidation_request``, ``read_label``), when the object can take no more answers.

Each call is a POST of JSON signed exactly as webhooks are (``Groundwork-Signature``,
``marketplace.events.signing``, keyed with the job's hook secret), sent through the webhooks'
guard and sender (``safe_url.webhook_target``: https and public addresses unless
``WEBHOOK_ALLOW_HTTP`` / ``WEBHOOK_ALLOWED_NETWORKS`` say otherwise; ``outbound.post``: the checked
address pinned, no redirects, a deadline). A call that fails (no answer, a non-2xx status, an
answer that is not what the hook must return) is tried again ``LABELING_HOOK_ATTEMPTS`` times in
all, waiting ``LABELING_HOOK_RETRY_BASE_SECONDS × 2^(n-1)`` before the n-th retry; then
``HookFailed`` says why, and the caller fails that object (never the job).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings

from marketplace.encryption import decrypt_secret, encrypt_secret
from marketplace.events import outbound
from marketplace.events.safe_url import WebhookUrlError, webhook_target
from marketplace.events.signing import SIGNATURE_HEADER, new_secret, signature_header

from ..models import LabelingJob
from .manifest_lines import MAX_LINE_CHARS

# The version Ground Truth's pre-annotation and consolidation Lambdas are sent.
HOOK_VERSION = "2018-10-16"
HOOK_HEADER = "Groundwork-Hook"
USER_AGENT = "Groundwork-Hooks/1"
MAX_ANSWER_BYTES = 1_000_000
MAX_REASON_CHARS = 500
PRE_TASK = "pre_task"
CONSOLIDATION = "consolidation"

Read = TypeVar("Read")


class HookFailed(Exception):
    """The hook did not give a usable answer after every attempt; ``reason`` says why (it
    becomes the object's ``failure-reason``)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason[:MAX_REASON_CHARS]


class BadAnswer(Exception):
    """One attempt's answer was not what the hook must return (the message says what)."""


def hook_secret_new() -> tuple[str, str]:
    """A fresh hook secret: ``(plain, encrypted)`` (the plain one is shown once, at creation)."""
    secret = new_secret()
    return secret, encrypt_secret(secret)


def job_hook_secret(job: LabelingJob) -> str:
    return decrypt_secret(job.hook_secret_encrypted)


def hook_call(*, url: str, secret: str, kind: str, payload: dict, read: Callable[[dict], Read]) -> Read:
    """POST ``payload`` to ``url`` and return ``read(answer)`` (``read`` raises ``BadAnswer``
    for an answer it cannot use), retrying with backoff as the module says; ``HookFailed``
    after the last attempt. Blocks for the retries: call it only from background passes."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    attempts = max(1, settings.LABELING_HOOK_ATTEMPTS)
    reason = ""
    for attempt in range(1, attempts + 1):
        try:
            return read(_post_once(url, secret, kind, body))
        except BadAnswer as problem:
            reason = str(problem)
        if attempt < attempts:
            time.sleep(settings.LABELING_HOOK_RETRY_BASE_SECONDS * 2 ** (attempt - 1))
    raise HookFailed(f"the {kind} hook failed {attempts} time{'s' if attempts > 1 else ''}: {reason}")


def _post_once(url: str, secret: str, kind: str, body: bytes) -> dict:
    try:
        target = webhook_target(url)  # checked again at each call: what a name resolves to may change
    except WebhookUrlError as refused:
        raise BadAnswer(f"the URL {refused}") from None
    headers = {
        SIGNATURE_HEADER: signature_header(body, [secret], int(time.time())),
        HOOK_HEADER: kind,
    }
    outcome = outbound.post(
        target,
        body,
        headers,
        timeout_seconds=settings.LABELING_HOOK_TIMEOUT_SECONDS,
        response_cap_bytes=MAX_ANSWER_BYTES + 1,
        user_agent=USER_AGENT,
    )
    if outcome.status_code is None:
        raise BadAnswer(outcome.error)
    if not 200 <= outcome.status_code < 300:
        raise BadAnswer(f"it answered HTTP {outcome.status_code}")
    if len(outcome.response_excerpt.encode("utf-8")) > MAX_ANSWER_BYTES:
        raise BadAnswer(f"its answer is larger than {MAX_ANSWER_BYTES} bytes")
    try:
        answer = json.loads(outcome.response_excerpt)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than the parser's stack
        raise BadAnswer("its answer is not JSON") from None
    if not isinstance(answer, dict):
        raise BadAnswer("its answer must be a JSON object")
    return answer


# --- what each hook is sent and must answer ------------------------------------------------------
def pre_task_request(job: LabelingJob, data_object: dict) -> dict:
    """Ground Truth's pre-annotation Lambda event, with the job named by id and name."""
    return {
        "version": HOOK_VERSION,
        "hook": PRE_TASK,
        "labelingJobId": job.pk,
        "labelingJobName": job.name,
        "dataObject": data_object,
    }


def read_task_input(answer: dict) -> dict:
    """``{"taskInput": {...}}``: the task's input (a JSON object of at most
    ``MAX_LINE_CHARS`` characters, no key starting with ``$``). ``isHumanAnnotationRequired``
    may be given; only ``"true"`` (every object goes to workers) is supported."""
    task_input = answer.get("taskInput")
    if not isinstance(task_input, dict):
        raise BadAnswer('its answer needs "taskInput", a JSON object')
    if str(answer.get("isHumanAnnotationRequired", "true")).lower() != "true":
        raise BadAnswer('"isHumanAnnotationRequired" must be "true" (every object goes to workers)')
    bad = [key for key in task_input if key.startswith("$")]
    if bad:
        raise BadAnswer(f'"taskInput" must not have keys starting with $ ({bad[0]!r})')
    if len(json.dumps(task_input, ensure_ascii=False)) > MAX_LINE_CHARS:
        raise BadAnswer(f'"taskInput" is longer than {MAX_LINE_CHARS} characters')
    return task_input


def consolidation_request(
    job: LabelingJob, *, object_index: int, data_object: dict, task_input: dict, answers: list[tuple[int, dict]]
) -> dict:
    """Ground Truth's annotation-consolidation payload for one object, inline rather than in an
    S3 file: each worker's answer as ``annotationData.content``, a JSON string as Ground Truth
    sends it."""
    return {
        "version": HOOK_VERSION,
        "hook": CONSOLIDATION,
        "labelingJobId": job.pk,
        "labelingJobName": job.name,
        "labelAttributeName": job.label_attribute_name,
        "taskType": job.task_type,
        "labels": job.label_categories,
        "datasetObjectId": str(object_index),
        "dataObject": data_object,
        "taskInput": task_input,
        "annotations": [
            {
                "workerId": str(worker_id),
                "annotationData": {"content": json.dumps(answer, ensure_ascii=False, separators=(",", ":"))},
            }
            for worker_id, answer in answers
        ],
    }


def read_label(answer: dict) -> tuple[object, float]:
    """``{"label": <any JSON but null>, "confidence": <number from 0 to 1>}``."""
    if answer.get("label") is None:
        raise BadAnswer('its answer needs "label" (any JSON value but null)')
    confidence = answer.get("confidence")
    if not isinstance(confidence, int | float) or isinstance(confidence, bool) or not 0 <= confidence <= 1:
        raise BadAnswer('its answer needs "confidence", a number from 0 to 1')
    if len(json.dumps(answer["label"], ensure_ascii=False)) > MAX_LINE_CHARS:
        raise BadAnswer(f'"label" is longer than {MAX_LINE_CHARS} characters')
    return answer["label"], float(confidence)
