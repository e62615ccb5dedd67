"""Bad templates, answer schemas and hook URLs are refused at creation with a 400 naming the
field, and nothing is created (docs/templates.md)."""

from __future__ import annotations

import pytest

from labeling.custom_templates.templates import MAX_TEMPLATE_CHARS
from labeling.models import LabelingJob
from tests.support.factories import client_with

pytestmark = pytest.mark.django_db

BASE = {
    "name": "tpl",
    "label_attribute_name": "notes",
    "task_type": "custom",
    "input_manifest_uri": "s3://bucket/in.jsonl",
    "output_uri": "s3://bucket/out/",
    "title": "Notes",
    "reward": "0.05",
    "template": '<textarea name="note"></textarea>',
}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        pytest.param({"template": None}, "template", "is required for task type custom", id="missing"),
        pytest.param({"template": "   "}, "template", "must be a non-empty string of HTML", id="blank"),
        pytest.param(
            {"template": "<p>\n{{ task.secret }}</p>"},
            "template",
            "line 2: {{ task.secret }} is not a variable: use task.input.<key>, task.input or task.labels, "
            "optionally with | to_json",
            id="unknown-variable",
        ),
        pytest.param(
            {"template": "<p>{{ task.input.source | safe }}</p>"},
            "template",
            "line 1: {{ task.input.source | safe }} is not a variable: use task.input.<key>, task.input or "
            "task.labels, optionally with | to_json",
            id="no-raw-filter",
        ),
        pytest.param(
            {"template": "<p>{{ task.input.source </p>"}, "template", "line 1: {{ is not closed by }}", id="unclosed"
        ),
        pytest.param(
            {"template": "{% if x %}<p></p>{% endif %}"},
            "template",
            "line 1: template tags {% %} are not supported",
            id="tags",
        ),
        pytest.param(
            {"template": "<p></p>\n<script>const v = '{{ task.input.source }}';</script>"},
            "template",
            "line 2: variables are not allowed inside <script> (use a data- attribute)",
            id="variable-in-script",
        ),
        pytest.param(
            {"template": "x" * (MAX_TEMPLATE_CHARS + 1)},
            "template",
            f"must be at most {MAX_TEMPLATE_CHARS} characters, got {MAX_TEMPLATE_CHARS + 1}",
            id="too-large",
        ),
        pytest.param(
            {"pre_task_hook_url": "http://hooks.example.com/pre"}, "pre_task_hook_url", "must use https://", id="http"
        ),
        pytest.param(
            {"consolidation_hook_url": "https://169.254.169.254/latest"},
            "consolidation_hook_url",
            "resolves to 169.254.169.254, a cloud metadata address: webhooks go only to public addresses "
            "(an operator may allow networks with WEBHOOK_ALLOWED_NETWORKS)",
            id="metadata-address",
        ),
        pytest.param(
            {"pre_task_hook_url": "https://127.0.0.1:8443/pre"},
            "pre_task_hook_url",
            "resolves to 127.0.0.1, a loopback address: webhooks go only to public addresses "
            "(an operator may allow networks with WEBHOOK_ALLOWED_NETWORKS)",
            id="loopback",
        ),
        pytest.param(
            {"answer_schema": {"type": "object"}, "task_type": "text_classification", "label_categories": ["a", "b"]},
            "answer_schema",
            "only applies to task type custom (other types' answers have their format)",
            id="schema-on-builtin",
        ),
        pytest.param({"answer_schema": [1]}, "answer_schema", "must be a JSON Schema object", id="schema-not-object"),
        pytest.param(
            {"consolidation_hook_url": "https://93.184.215.14/c", "target_confidence": 0.9},
            "target_confidence",
            "does not go with consolidation_hook_url (the hook decides the label)",
            id="hook-and-dynamic-redundancy",
        ),
        pytest.param(
            {"target_confidence": 0.9},
            "target_confidence",
            "is not available for task type custom (its answers have no confidence)",
            id="confidence-on-custom",
        ),
        pytest.param(
            {"gold_manifest_uri": "s3://bucket/gold.jsonl"},
            "gold_manifest_uri",
            "is not available for task type custom (answers have no known shape)",
            id="gold-on-custom",
        ),
        pytest.param(
            {"template": '<img alt="x" src={{ task.input.source-url }}>'},
            "template",
            'line 1: a variable in a tag must be inside a quoted attribute value (name="{{ … }}")',
            id="unquoted-attribute",
        ),
        pytest.param(
            {"template": '<p>\n<img src="a.png" {{ task.input.extra }}>'},
            "template",
            'line 2: a variable in a tag must be inside a quoted attribute value (name="{{ … }}")',
            id="attribute-position",
        ),
        pytest.param(
            {"template": '<iframe srcdoc="{{ task.input.page }}"></iframe>'},
            "template",
            "line 1: variables are not allowed in the srcdoc attribute",
            id="srcdoc",
        ),
        pytest.param(
            {"template": "<button ONCLICK='go(\"{{ task.input.id }}\")'>Go</button>"},
            "template",
            "line 1: variables are not allowed in the onclick attribute",
            id="event-handler",
        ),
        pytest.param(
            {
                "task_type": "semantic_segmentation_adjustment",
                "template": None,
                "label_categories": ["a", "b"],
                "consolidation_hook_url": "https://93.184.215.14/c",
            },
            "consolidation_hook_url",
            "is not available for the review type semantic_segmentation_adjustment",
            id="hook-on-mask-adjustment",
        ),
        pytest.param(
            {
                "task_type": "bounding_box_adjustment",
                "template": None,
                "label_categories": ["a", "b"],
                "pre_task_hook_url": "https://93.184.215.14/p",
            },
            "pre_task_hook_url",
            "is not available for the review type bounding_box_adjustment",
            id="pre-task-hook-on-review-type",
        ),
        pytest.param(
            {
                "task_type": "semantic_segmentation",
                "template": None,
                "label_categories": ["a", "b"],
                "consolidation_hook_url": "https://93.184.215.14/c",
            },
            "consolidation_hook_url",
            "is not available for semantic_segmentation (its label is a mask)",
            id="hook-on-masks",
        ),
        pytest.param(
            {"input_mode": "streaming", "input_manifest_uri": None, "pre_task_hook_url": "https://93.184.215.14/p"},
            "pre_task_hook_url",
            "is not available for a streaming job",
            id="hook-on-streaming",
        ),
    ],
)
def test_a_bad_template_or_hook_is_a_400_naming_the_field(requester, changes, field, message):
    body = {**BASE, **changes}
    body = {key: value for key, value in body.items() if value is not None}

    response = client_with(requester.api_key).post("/api/v1/labeling-jobs", body, format="json")

    assert response.status_code == 400, response.content
    assert response.json()["error"]["fields"][field] == [message]
    assert not LabelingJob.objects.exists()
