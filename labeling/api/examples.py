"""Examples of the labeling jobs API in the OpenAPI document (``extend_schema(examples=...)``),
checked against the operation's schema by ``tests/marketplace/test_openapi_document.py``."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample

_JOB_SPEC = {
    "name": "animals-1",
    "label_attribute_name": "species",
    "task_type": "image_classification",
    "input_manifest_uri": "s3://bucket/in/manifest.jsonl",
    "output_uri": "s3://bucket/out/",
    "label_categories": ["cat", "dog"],
    "title": "Cat or dog?",
    "instructions": "Pick the animal in the picture.",
    "workers_per_object": 3,
    "task_time_limit_seconds": 300,
    "reward": "0.036",
    "stopping_conditions": {"max_human_labeled_objects": 1000},
}

LABELING_JOB_CREATE = [
    OpenApiExample(
        "An image classification job",
        summary="Three answers per image of a manifest in registered storage",
        value=_JOB_SPEC,
        request_only=True,
    ),
    OpenApiExample(
        "The job created",
        value={
            "id": 5,
            "name": "animals-1",
            "status": "initializing",
            "failure_reason": "",
            "label_counters": {
                "total_labeled": 0,
                "human_labeled": 0,
                "machine_labeled": 0,
                "failed": 0,
                "unlabeled": 0,
            },
            "batch_id": None,
            "answers_saved": 0,
            "output_manifest_uri": "",
            "label_attribute_name": "species",
            "task_type": "image_classification",
            "input_manifest_uri": "s3://bucket/in/manifest.jsonl",
            "output_uri": "s3://bucket/out/",
            "gold_manifest_uri": "",
            "label_category_config_uri": "",
            "label_categories": ["cat", "dog"],
            "worker_visible_keys": [],
            "title": "Cat or dog?",
            "description": "",
            "instructions": "Pick the animal in the picture.",
            "workteam_id": 1,
            "workers_per_object": 3,
            "min_workers_per_object": 3,
            "max_workers_per_object": 3,
            "target_confidence": None,
            "task_time_limit_seconds": 300,
            "task_availability_lifetime_seconds": 604800,
            "auto_approval_delay_seconds": 259200,
            "priority": 0,
            "reward": "0.036",
            "stopping_conditions": {"max_human_labeled_objects": 1000},
            "quality_rules": {},
            "auto_approval_policy": "approve_all",
            "qualification_requirements": [],
            "automated_labeling": None,
            "created_at": "2026-03-02T09:00:00Z",
            "ended_at": None,
        },
        response_only=True,
        status_codes=["201"],
    ),
]
