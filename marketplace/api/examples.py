"""Examples of the main operations in the OpenAPI document (``extend_schema(examples=...)``).

Request examples are sent as written by the schema fuzzer's explicit phase, and every example is
checked against the operation's schema (``tests/marketplace/test_openapi_document.py``).
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample

_CAT_OR_DOG = {
    "title": "Cat or dog?",
    "input": {"text": "A cat naps in the sun."},
    "labels": ["cat", "dog"],
    "reward": "0.05",
    "priority": 100,
}
_TASK = {
    "id": 19,
    "batch_id": 4,
    "workteam_id": 1,
    "status": "open",
    "title": "Cat or dog?",
    "description": "",
    "task_type": "custom",
    "input": {"text": "A cat naps in the sun."},
    "answer_schema": None,
    "labels": ["cat", "dog"],
    "gold_answer": None,
    "instructions": "",
    "slots": 1,
    "slots_used": 0,
    "slots_submitted": 0,
    "reward": "0.05",
    "fee": "0.01",
    "assignment_duration_seconds": 3600,
    "lifetime_seconds": 604800,
    "auto_approval_delay_seconds": 259200,
    "priority": 100,
    "created_at": "2026-03-02T09:00:00Z",
    "expires_at": "2026-03-09T09:00:00Z",
    "closed_at": None,
}

TASKS_CREATE = [
    OpenApiExample(
        "One task",
        summary="One task (in a new batch, for the public workforce)",
        value=_CAT_OR_DOG,
        request_only=True,
    ),
    OpenApiExample(
        "A batch of tasks",
        summary="Two tasks in one new batch, three answers each, checked against an answer schema",
        value=[
            {
                "title": "Cat or dog?",
                "input": {"image_url": "https://example.com/1.jpg"},
                "labels": ["cat", "dog"],
                "answer_schema": {
                    "type": "object",
                    "required": ["label"],
                    "properties": {"label": {"enum": ["cat", "dog"]}},
                },
                "slots": 3,
                "reward": "0.05",
                "auto_approval_delay_seconds": 86400,
            },
            {
                "title": "Cat or dog?",
                "input": {"image_url": "https://example.com/2.jpg"},
                "labels": ["cat", "dog"],
                "answer_schema": {
                    "type": "object",
                    "required": ["label"],
                    "properties": {"label": {"enum": ["cat", "dog"]}},
                },
                "slots": 3,
                "reward": "0.05",
                "auto_approval_delay_seconds": 86400,
            },
        ],
        request_only=True,
    ),
    OpenApiExample("The task created", value=_TASK, response_only=True, status_codes=["201"]),
]

_DEADLINE = "2026-03-02T10:05:00Z"

CLAIM = [
    OpenApiExample(
        "An assignment",
        summary="The task offered to you, until its deadline",
        value={
            "assignment_id": 31,
            "task_id": 19,
            "task_type": "custom",
            "title": "Cat or dog?",
            "description": "",
            "input": {"text": "A cat naps in the sun."},
            "labels": ["cat", "dog"],
            "instructions": "",
            "answer_schema": None,
            "reward": "0.05",
            "deadline": _DEADLINE,
        },
        response_only=True,
        status_codes=["200"],
    )
]

_WORKER_ASSIGNMENT = {
    "id": 31,
    "task_id": 19,
    "requester_id": 2,
    "title": "Cat or dog?",
    "task_type": "custom",
    "reward": "0.05",
    "status": "submitted",
    "answer": {"label": "cat"},
    "feedback": "",
    "accepted_at": "2026-03-02T09:05:00Z",
    "deadline": _DEADLINE,
    "submitted_at": "2026-03-02T09:06:10Z",
    "auto_approve_at": "2026-03-05T09:06:10Z",
    "approved_at": None,
    "rejected_at": None,
    "returned_at": None,
    "expired_at": None,
}

SUBMIT = [
    OpenApiExample("An answer", value={"answer": {"label": "cat"}}, request_only=True),
    OpenApiExample("Submitted", value=_WORKER_ASSIGNMENT, response_only=True, status_codes=["200"]),
]

_ASSIGNMENT = {
    "id": 31,
    "task_id": 19,
    "worker_id": 7,
    "answer": {"label": "cat"},
    "accepted_at": "2026-03-02T09:05:00Z",
    "deadline": _DEADLINE,
    "submitted_at": "2026-03-02T09:06:10Z",
    "auto_approve_at": None,
    "approved_at": None,
    "rejected_at": None,
    "returned_at": None,
    "expired_at": None,
    "gold_correct": None,
    "flagged_reason": "",
}

APPROVE = [
    OpenApiExample("With feedback", value={"feedback": "Thanks, well spotted."}, request_only=True),
    OpenApiExample(
        "Overriding a rejection",
        summary="Approve an assignment you rejected (within 30 days), paid from the available balance",
        value={"override_rejection": True, "feedback": "Sorry, our gold answer was wrong."},
        request_only=True,
    ),
    OpenApiExample(
        "Approved",
        value={
            **_ASSIGNMENT,
            "status": "approved",
            "feedback": "Thanks, well spotted.",
            "approved_at": "2026-03-02T11:00:00Z",
        },
        response_only=True,
        status_codes=["200"],
    ),
]

REJECT = [
    OpenApiExample("With feedback", value={"feedback": "The picture shows a dog."}, request_only=True),
    OpenApiExample(
        "Rejected",
        value={
            **_ASSIGNMENT,
            "status": "rejected",
            "feedback": "The picture shows a dog.",
            "rejected_at": "2026-03-02T11:00:00Z",
        },
        response_only=True,
        status_codes=["200"],
    ),
]

WEBHOOK_ENDPOINT_CREATE = [
    OpenApiExample(
        "Completed work",
        summary="Completed tasks and approved answers, to a receiver of yours",
        value={
            "url": "https://hooks.example.com/groundwork",
            "events": ["task.completed", "assignment.approved"],
            "description": "label pipeline",
        },
        request_only=True,
    ),
    OpenApiExample(
        "Registered",
        value={
            "id": 3,
            "url": "https://hooks.example.com/groundwork",
            "events": ["task.completed", "assignment.approved"],
            "description": "label pipeline",
            "is_active": True,
            "disabled_reason": None,
            "disabled_at": None,
            "failing_since": None,
            "previous_secret_expires_at": None,
            "created_at": "2026-03-02T09:00:00Z",
            "updated_at": "2026-03-02T09:00:00Z",
            "secret": "whsec_3q2-7wE9x0oQmB1yH4kZpV6tLr8sNdUaJcFgXiYe5Tw",
        },
        response_only=True,
        status_codes=["201"],
    ),
]

_APPEAL = {
    "id": 3,
    "assignment_id": 7,
    "task_id": 19,
    "status": "open",
    "message": "The animal in the picture is a cat: see its ears.",
    "rejection_feedback": "The picture shows a dog.",
    "reply": "",
    "created_at": "2026-03-03T09:00:00Z",
    "decided_at": None,
}
APPEAL = [
    OpenApiExample("Appeal", value={"message": "The animal in the picture is a cat: see its ears."}, request_only=True),
    OpenApiExample(
        "Appealed",
        value={**_APPEAL, "title": "Cat or dog?", "requester_id": 2, "requester_name": "Acme ML", "reward": "0.05"},
        response_only=True,
        status_codes=["201"],
    ),
]
_REQUESTER_APPEAL = {
    **_APPEAL,
    "task_title": "Cat or dog?",
    "worker_id": 12,
    "answer": {"label": "cat"},
    "rejected_at": "2026-03-02T11:00:00Z",
    "reward": "0.05",
}
APPEAL_ACCEPT = [
    OpenApiExample("With a reply", value={"reply": "You are right, sorry."}, request_only=True),
    OpenApiExample(
        "Accepted",
        value={
            **_REQUESTER_APPEAL,
            "status": "accepted",
            "reply": "You are right, sorry.",
            "decided_at": "2026-03-03T12:00:00Z",
        },
        response_only=True,
        status_codes=["200"],
    ),
]
APPEAL_DECLINE = [
    OpenApiExample("With a reply", value={"reply": "The ears are a dog's: see the snout."}, request_only=True),
    OpenApiExample(
        "Declined",
        value={
            **_REQUESTER_APPEAL,
            "status": "declined",
            "reply": "The ears are a dog's: see the snout.",
            "decided_at": "2026-03-03T12:00:00Z",
        },
        response_only=True,
        status_codes=["200"],
    ),
]
