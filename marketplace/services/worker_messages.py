"""Messages from a requester to workers who have worked for it (``POST /api/v1/worker-messages``,
MTurk's NotifyWorkers); workers read theirs at ``GET /api/v1/worker/messages``.

Only a worker with an answer on one of the requester's tasks (submitted, approved or
rejected) may be written to, as for bonuses: a requester cannot reach the whole workforce.
Calls are rate-limited per requester (``WORKER_MESSAGE_RATE_PER_SECOND``/``_BURST``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from ..models import Assignment, Organization, WorkerMessage
from ..ratelimit import RateLimited, take_token
from ..validation import FieldErrors, text_field
from .bonuses import WORKED

MAX_RECIPIENTS = 100  # as NotifyWorkers
MAX_SUBJECT_LENGTH = 200
MAX_MESSAGE_LENGTH = 4096


class MessageRateLimited(RateLimited):
    """Over the requester's message rate (429 ``rate_limited``, with ``Retry-After``); nothing sent."""

    def __init__(self, wait_seconds: float) -> None:
        super().__init__(f"too many messages; retry in {wait_seconds:.0f} s")
        self.retry_after_seconds = wait_seconds


@dataclass(frozen=True)
class MessagesSent:
    """What one call did: the worker ids written to (in the order given, without repeats) and,
    with ``skip_ineligible``, the ones refused with why."""

    sent_to: list[int]
    refused: dict[int, str]
    messages: list[WorkerMessage]


def worker_messages_send(
    *, requester: Organization, worker_ids: object, subject: object, message: object, skip_ineligible: bool = False
) -> MessagesSent:
    """Send ``subject`` and ``message`` to each of ``worker_ids`` (1 to 100 worker ids).

    A worker who has not worked for ``requester`` (or does not exist) is refused: with
    ``skip_ineligible`` the others are still written to and the refused are returned (MTurk's
    per-worker failure statuses); without it, nothing is sent and ``InvalidInput`` names each
    refused one as ``worker_ids.<index>``. Takes one token of the requester's message bucket per
    call (``MessageRateLimited``, nothing sent, when it is empty).
    """
    errors = FieldErrors()
    data = {"subject": subject, "message": message}
    subject_text = text_field(data, "subject", errors, required=True, max_length=MAX_SUBJECT_LENGTH)
    message_text = text_field(data, "message", errors, required=True, max_length=MAX_MESSAGE_LENGTH)
    ids: list[int] = []
    if not isinstance(worker_ids, list) or not 1 <= len(worker_ids) <= MAX_RECIPIENTS:
        errors.add("worker_ids", f"must be a list of 1 to {MAX_RECIPIENTS} worker ids")
    else:
        for index, worker_id in enumerate(worker_ids):
            if isinstance(worker_id, bool) or not isinstance(worker_id, int) or not 0 < worker_id < 2**63:
                errors.add(f"worker_ids.{index}", "must be a worker id (a positive integer)")
            elif worker_id not in ids:
                ids.append(worker_id)
    errors.raise_if_any()

    worked = set(
        Assignment.objects.filter(worker_id__in=ids, task__requester=requester, status__in=WORKED)
        .values_list("worker_id", flat=True)
        .distinct()
    )
    refused = {worker_id: "has not worked for you" for worker_id in ids if worker_id not in worked}
    if refused and not skip_ineligible:
        for index, worker_id in enumerate(worker_ids):  # type: ignore[arg-type]
            if worker_id in refused:
                errors.add(f"worker_ids.{index}", f"worker {worker_id} has not worked for you")
        errors.raise_if_any()
    _take_message_token(requester)
    sent_to = [worker_id for worker_id in ids if worker_id not in refused]
    together = uuid.uuid4()
    with transaction.atomic():
        messages = WorkerMessage.objects.bulk_create(
            [
                WorkerMessage(
                    requester=requester,
                    worker_id=worker_id,
                    subject=subject_text,
                    message=message_text,
                    sent_together=together,
                )
                for worker_id in sent_to
            ]
        )
    return MessagesSent(sent_to=sent_to, refused=refused, messages=messages)


def _take_message_token(requester: Organization) -> None:
    config = settings.GROUNDWORK
    wait = take_token(
        f"worker-messages:{requester.pk}",
        rate=config["WORKER_MESSAGE_RATE_PER_SECOND"],
        burst=config["WORKER_MESSAGE_RATE_BURST"],
    )
    if wait:
        raise MessageRateLimited(wait)
