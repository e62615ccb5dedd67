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

from ..errors import InvalidInput
from ..models import Assignment, Organization, WorkerMessage
from ..ratelimit import RateLimited, take_token
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
    *, requester: Organization, worker_ids: list[int], subject: str, message: str, skip_ineligible: bool = False
) -> MessagesSent:
    """Send ``subject`` and ``message`` to each of ``worker_ids`` (1 to 100 worker ids, as
    ``inputs.worker_messages.WorkerMessageSend`` declares; a repeated id is written to once).

    A worker who has not worked for ``requester`` (or does not exist) is refused: with
    ``skip_ineligible`` the others are still written to and the refused are returned (MTurk's
    per-worker failure statuses); without it, nothing is sent and ``InvalidInput`` names each
    refused one as ``worker_ids.<index>``. Takes one token of the requester's message bucket per
    call (``MessageRateLimited``, nothing sent, when it is empty).
    """
    ids = list(dict.fromkeys(worker_ids))
    subject_text, message_text = subject, message

    worked = set(
        Assignment.objects.filter(worker_id__in=ids, task__requester=requester, status__in=WORKED)
        .values_list("worker_id", flat=True)
        .distinct()
    )
    refused = {worker_id: "has not worked for you" for worker_id in ids if worker_id not in worked}
    if refused and not skip_ineligible:
        errors = {
            f"worker_ids.{index}": [f"worker {worker_id} has not worked for you"]
            for index, worker_id in enumerate(worker_ids)
            if worker_id in refused
        }
        first = next(iter(errors))
        raise InvalidInput(f"{first}: {errors[first][0]}", fields=errors)
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


def worker_message_write(*, requester_id: int, worker_id: int, subject: str, message: str) -> WorkerMessage:
    """One message to one worker written by Groundwork on the requester's behalf, about
    something between them (an appeal's outcome, ``services.appeals``): no eligibility check
    and no rate limit, since the caller's reason to write is the eligibility. Call it inside the
    transaction of the change it reports, so both commit or neither does. ``subject`` is cut to
    ``MAX_SUBJECT_LENGTH``."""
    return WorkerMessage.objects.create(
        requester_id=requester_id,
        worker_id=worker_id,
        subject=subject[:MAX_SUBJECT_LENGTH],
        message=message,
        sent_together=uuid.uuid4(),
    )


def _take_message_token(requester: Organization) -> None:
    config = settings.GROUNDWORK
    wait = take_token(
        f"worker-messages:{requester.pk}",
        rate=config["WORKER_MESSAGE_RATE_PER_SECOND"],
        burst=config["WORKER_MESSAGE_RATE_BURST"],
    )
    if wait:
        raise MessageRateLimited(wait)
