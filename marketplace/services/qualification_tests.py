"""Qualification tests: a worker takes a type's short set of gold questions and is granted
the type, with its score in percent as the value, when the score reaches the passing score.

The answer key never leaves the server: workers get inputs only, and an attempt's result is
its score, not which answers were right. A retry waits ``test_retry_delay_seconds`` after the
last attempt (against brute force); a worker who holds the type cannot take its test again.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from ..errors import Conflict, InvalidInput
from ..locking import lock_workers
from ..models import QualificationGrant, QualificationTestAttempt, QualificationType, Worker


def retry_at(qualification_type: QualificationType, last_attempt_at: datetime | None) -> datetime | None:
    """When the worker may take the test again, or ``None`` if it may now."""
    if last_attempt_at is None:
        return None
    at = last_attempt_at + timedelta(seconds=qualification_type.test_retry_delay_seconds)
    return at if at > timezone.now() else None


def _normalised(answer: object) -> str:
    """Canonical JSON of an answer; for a ``{"label": …}`` answer, of its label."""
    if isinstance(answer, dict) and "label" in answer:
        answer = answer["label"]
    return json.dumps(answer, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def score_answers(questions: list[dict], answers: list) -> int:
    """Percent (rounded down) of answers equal to the key after normalisation."""
    correct = sum(_normalised(given) == _normalised(q["answer"]) for q, given in zip(questions, answers, strict=True))
    return correct * 100 // len(questions)


def qualification_test_submit(
    *, worker: Worker, qualification_type: QualificationType, answers: object
) -> tuple[QualificationTestAttempt, datetime | None]:
    """Score ``answers`` (a list, one per question, in order) and record the attempt; a passing
    score grants the type with the score as its value. Returns the attempt and when the worker
    may retry (``None`` after a pass).

    ``Conflict(qualification_already_held)`` when the worker holds the type,
    ``Conflict(qualification_retry_too_soon)`` within the retry delay: both change nothing.
    Serialized per worker by a lock on its row (``locking.lock_workers``, as the claim).
    """
    questions = qualification_type.test_questions
    if not isinstance(answers, list) or len(answers) != len(questions):
        raise InvalidInput.for_field("answers", f"must be a list of {len(questions)} answers, one per question")
    with transaction.atomic():
        lock_workers([worker.pk])
        if QualificationGrant.objects.filter(qualification_type=qualification_type, worker=worker).exists():
            raise Conflict("you already hold this qualification", code="qualification_already_held")
        last = (
            QualificationTestAttempt.objects.filter(qualification_type=qualification_type, worker=worker)
            .order_by("-submitted_at")
            .values_list("submitted_at", flat=True)
            .first()
        )
        wait_until = retry_at(qualification_type, last)
        if wait_until is not None:
            raise Conflict(
                f"you may retake this test after {wait_until.isoformat()}", code="qualification_retry_too_soon"
            )
        now = timezone.now()
        score = score_answers(questions, answers)
        # a type granted by test is created with its questions and passing score (qualifications_create)
        assert qualification_type.test_passing_score is not None
        passed = score >= qualification_type.test_passing_score
        attempt = QualificationTestAttempt.objects.create(
            qualification_type=qualification_type,
            worker=worker,
            answers=answers,
            score=score,
            passed=passed,
            submitted_at=now,
        )
        if passed:
            QualificationGrant.objects.create(
                qualification_type=qualification_type, worker=worker, value=score, source=QualificationGrant.Source.TEST
            )
    return attempt, None if passed else now + timedelta(seconds=qualification_type.test_retry_delay_seconds)
