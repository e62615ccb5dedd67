"""Label categories: Ground Truth's label category configuration file and the job's list.

A job's label categories are an ordered list of names; a class id is an index into it
(for segmentation, the pixel value, and the list starts with ``BACKGROUND``, added unless the
requester listed it first: ``TaskType.effective_labels``).

Rules (``validate_label_categories``): a list of strings, each non-empty (not blank) and at most
``MAX_LABEL_CHARS`` characters, no name twice, at least ``task_type.min_labels`` (2 for
single-label classification, where one category is no choice; 1 for the others, where
"present or not" is still a question) and at most ``task_type.max_labels`` (10 for bounding
boxes as in Ground Truth, 255 for segmentation with ``BACKGROUND`` included, 100 otherwise).
"""

from __future__ import annotations

import json

from labeling.task_types.base import TaskType
from marketplace.errors import InvalidInput
from marketplace.jsonbody import check_json_value

MAX_LABEL_CHARS = 256
# A configuration file is read before the task type's own limit is applied; no type allows more.
MAX_CONFIG_LABELS = 1000
MAX_CONFIG_BYTES = 1024 * 1024


def parse_label_category_config(data: bytes | str | dict) -> list[str]:
    """The label names of a label category configuration file, in order
    (``parse_label_category_file`` without the short display names)."""
    return parse_label_category_file(data)[0]


def parse_label_category_file(data: bytes | str | dict) -> tuple[list[str], dict[str, str]]:
    """The label names of a label category configuration file, in order, and the
    ``shortDisplayName`` of each label that has one (named-entity output keeps them).

    ``data`` is the file's bytes (UTF-8 JSON) or its parsed object:
    ``{"document-version": "2018-11-28", "labels": [{"label": "cat"}, ...]}``. Other keys (such
    as ``instructions`` or a label's ``categoryAttributes``) are ignored; a ``shortDisplayName``
    must be a non-empty string of at most ``MAX_LABEL_CHARS``. Raises ``ValueError``
    with a readable reason. The names are checked as ``validate_label_categories`` does, except
    for the per-task-type count, which the caller checks with it.
    """
    if isinstance(data, bytes | bytearray | str):
        if len(data) > MAX_CONFIG_BYTES:
            raise ValueError(f"the label category configuration is larger than {MAX_CONFIG_BYTES // 1024} KB")
        try:
            data = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError(f"the label category configuration is not UTF-8 JSON: {exc}") from None
        except RecursionError:
            raise ValueError("the label category configuration nests too deeply") from None
        try:  # the rules of every outside JSON: no NUL, no lone surrogate, 64 levels at most
            check_json_value(data)
        except InvalidInput as exc:
            raise ValueError(f"the label category configuration: {exc.message}") from None
    if not isinstance(data, dict):
        raise ValueError('the label category configuration must be a JSON object with a "labels" list')
    entries = data.get("labels")
    if not isinstance(entries, list):
        raise ValueError('the label category configuration has no "labels" list')
    names = []
    short_names = {}
    for position, entry in enumerate(entries):
        if not isinstance(entry, dict) or "label" not in entry:
            raise ValueError(f'labels[{position}] must be an object with a "label" name')
        names.append(entry["label"])
        if "shortDisplayName" in entry:
            short = entry["shortDisplayName"]
            if not isinstance(short, str) or not short.strip() or len(short) > MAX_LABEL_CHARS:
                raise ValueError(
                    f"labels[{position}].shortDisplayName must be a non-empty string of at most "
                    f"{MAX_LABEL_CHARS} characters"
                )
            short_names[entry["label"]] = short
    _check_names(names, max_labels=MAX_CONFIG_LABELS, min_labels=1)
    return names, short_names


def validate_label_categories(labels: object, task_type: TaskType) -> list[str]:
    """``labels`` as a list of category names valid for ``task_type``; ``ValueError`` otherwise
    (see the module doc for the rules)."""
    if not isinstance(labels, list | tuple):
        raise ValueError("label categories must be a list of names")
    names = list(labels)
    _check_names(names, max_labels=task_type.max_labels, min_labels=task_type.min_labels, task_type=task_type.name)
    names = task_type.effective_labels(names)
    if len(names) > task_type.max_labels:  # BACKGROUND added to a segmentation list already full
        raise ValueError(
            f"at most {task_type.max_labels} label categories are allowed for {task_type.name}, "
            f"{names[0]} included, got {len(names)}"
        )
    return names


def _check_names(names: list, *, max_labels: int, min_labels: int, task_type: str | None = None) -> None:
    for position, name in enumerate(names):
        if not isinstance(name, str):
            raise ValueError(f"label {position} must be a string, got {type(name).__name__}")
        if not name.strip():
            raise ValueError(f"label {position} is empty")
        if len(name) > MAX_LABEL_CHARS:
            raise ValueError(f"label {position} is longer than {MAX_LABEL_CHARS} characters")
    seen: dict[str, int] = {}
    for position, name in enumerate(names):
        if name in seen:
            raise ValueError(f"label {position} ({name!r}) repeats label {seen[name]}")
        seen[name] = position
    suffix = f" for {task_type}" if task_type else ""
    if len(names) < min_labels:
        needed = "1 label category is" if min_labels == 1 else f"{min_labels} label categories are"
        raise ValueError(f"at least {needed} needed{suffix}")
    if len(names) > max_labels:
        raise ValueError(f"at most {max_labels} label categories are allowed{suffix}, got {len(names)}")
