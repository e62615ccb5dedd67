"""Chained labeling jobs (docs/labeling.md, "Chaining"): a job whose input is an earlier job's
output manifest, as Ground Truth chains jobs.

At creation (``chained_job_fields``, the request path, nothing read from storage) the source
job is found and judged: the requester's own (otherwise the same ``NotFound`` as none, naming
``chain_from_job_id``), ``completed`` or ``stopped`` (otherwise ``Conflict(chain_source_not_ended)``),
and the body is checked against it (the label attribute, the selection, the label categories
the chain may take from it). The new job's ``input_manifest_uri`` is set to
``<output_uri>/<name>/manifests/input/input.manifest``, inside its own output folder.

At ingestion (``chain_input_write``, off the request path, before the input manifest is read)
the source's output manifest is streamed, each line kept or left out by the selection, and the
kept lines written to that URI; then the job is ingested like any other. Rules of selection:

- ``{"below_confidence": x}``: the objects whose confidence (the object's calibrated
  confidence, as the source's consolidation or automated labeling left it) is below ``x``, and
  the objects the source did not label (no label is the least confident).
- ``{"verdict": "<category>"}`` (a ``label_verification`` source only): the objects whose
  verdict is that category.
- no selection: every object; except that a job reusing the source's label attribute (a job of
  the same task type, labeling the objects again under the same name) takes only the objects
  the source did not label: it continues the source, as Ground Truth continues a stopped job.
- A job reusing the source's label attribute gets the lines without the source's label (its own
  replaces it); any other job gets them whole, the source's label beside the new one.

A review job (verification, adjustment) chained on a job reviews that job's annotation:
``source_label_attribute_name`` defaults to the source's label attribute, or for a source that
is itself a review job (a verification) to the attribute it reviewed; only the lines holding
that annotation are taken (an object the source did not label has nothing to review). An
adjustment naming no label categories takes those of the job whose labels it adjusts.

When the source used automated labeling and the chained job asks for it too,
``chain_starting_model`` copies the source's last model beside the new job's output; the new
job's first round scores with it instead of training one (``automation_rounds``).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from marketplace.errors import Conflict, DomainError, InvalidInput, NotFound
from marketplace.models import Organization

from ..access import access_labeling_job
from ..automation import ExportedModel
from ..automation.model import LinearModel
from ..models import DataObject, JobAutomation, LabelingJob
from ..storage import access_storage, parse_storage_uri
from ..task_types import TaskType, get_task_type
from .automation_features import feature_spec
from .manifest_lines import IngestFailed
from .output import JSONL, output_root
from .source_annotations import annotation_type

logger = logging.getLogger(__name__)

FIELD = "chain_from_job_id"
CHAINED_INPUT_KEY = "manifests/input/input.manifest"
VERIFICATION_TASK_TYPE = "label_verification"
CHAINABLE_STATUSES = (LabelingJob.Status.COMPLETED, LabelingJob.Status.STOPPED)
MAX_ANCESTORS = 100  # how far up a chain the label attributes already in its lines are looked for
MAX_MODEL_BYTES = 200 * 1024 * 1024
# An output line is its input line (at most MAX_LINE_CHARS) plus labels: read it whole, and let
# the chained job's ingestion refuse, naming it, a line too long to be an input line.
MAX_OUTPUT_LINE_CHARS = 10_000_000
STARTING_MODEL_NAME = "models/starting-model"


@dataclass(frozen=True)
class ChainSelect:
    """Which of the source's objects a chained job takes (``LabelingJob.chain_select``);
    neither set: every object (see the module doc for the exception)."""

    below_confidence: float | None = None
    verdict: str | None = None

    @classmethod
    def of(cls, stored: dict) -> ChainSelect:
        below = stored.get("below_confidence")
        return cls(below_confidence=None if below is None else float(below), verdict=stored.get("verdict"))

    def as_dict(self) -> dict:
        if self.below_confidence is not None:
            return {"below_confidence": self.below_confidence}
        return {} if self.verdict is None else {"verdict": self.verdict}


def access_chain_source(requester: Organization, job_id: object) -> LabelingJob:
    """The job a new job chains from: one of the requester's (another requester's job is the
    same ``NotFound`` as none), ended ``completed`` or ``stopped`` with its output written;
    every error names ``chain_from_job_id``."""
    try:
        source = access_labeling_job(requester, job_id)
    except NotFound:
        message = f"no labeling job {job_id} of yours"
        raise NotFound(f"{FIELD}: {message}", fields={FIELD: [message]}) from None
    if source.status not in CHAINABLE_STATUSES or not source.output_manifest_uri:
        message = f"labeling job {source.pk} is {source.status}: only a completed or stopped job can be chained"
        raise Conflict(f"{FIELD}: {message}", code="chain_source_not_ended", fields={FIELD: [message]})
    return source


def chained_input_uri(output_uri: str, job_name: str) -> str:
    """Where a chained job's input manifest is written: inside its own output folder."""
    folder = parse_storage_uri(output_uri, field="output_uri").as_folder()
    return f"{folder}{job_name}/{CHAINED_INPUT_KEY}"


def chained_job_fields(
    *, requester: Organization, fields: dict, chain_from_job_id: int, select: ChainSelect, has_category_file: bool
) -> dict:
    """The model fields of a chained job: ``fields`` (a validated body's, see
    ``labeling.inputs``) checked against the source and completed from it. Raises
    ``NotFound``/``Conflict`` naming ``chain_from_job_id`` for the source itself, and
    ``InvalidInput`` naming the body's field that does not fit it. Reads nothing from storage."""
    source = access_chain_source(requester, chain_from_job_id)
    if select.verdict is not None:
        if source.task_type != VERIFICATION_TASK_TYPE:
            raise InvalidInput.for_field(
                "chain_select.verdict",
                f"only applies to a chain from a {VERIFICATION_TASK_TYPE} job; labeling job {source.pk} is a "
                f"{source.task_type} job",
            )
        if select.verdict not in source.label_categories:
            raise InvalidInput.for_field(
                "chain_select.verdict",
                f"must be one of labeling job {source.pk}'s verdicts: {', '.join(source.label_categories)}",
            )
    task_type, source_type = get_task_type(fields["task_type"]), get_task_type(source.task_type)
    attribute = fields["label_attribute_name"]
    if not set(task_type.source_keys) & set(source_type.source_keys):
        raise InvalidInput.for_field(
            "task_type",
            f"{task_type.name} needs {' or '.join(task_type.source_keys)}; the objects of labeling job "
            f"{source.pk} ({source_type.name}) have {' or '.join(source_type.source_keys)}",
        )
    if attribute == source.label_attribute_name and task_type.name != source_type.name:
        raise InvalidInput.for_field(
            "label_attribute_name",
            f"is labeling job {source.pk}'s label attribute: only a {source_type.name} job may reuse it "
            "(to label the objects again); choose another name to keep its labels beside yours",
        )
    carried = _ancestor_attributes(source)
    if attribute in carried:
        raise InvalidInput.for_field(
            "label_attribute_name",
            f"is already in the chained lines (labeling job {carried[attribute]}'s label attribute); choose another",
        )
    completed = {
        **fields,
        "input_manifest_uri": chained_input_uri(fields["output_uri"], fields["name"]),
        "chained_from": source,
        "chain_select": select.as_dict(),
    }
    if task_type.reviewed_types:
        completed["source_label_attribute_name"] = _reviewed_attribute(fields, task_type, source)
    if not fields["label_categories"] and not has_category_file:
        categories_from = _categories_source(task_type, source)
        if categories_from is None:
            raise InvalidInput.for_field(
                "label_categories",
                "give either label_categories or label_category_config_uri (only a chain of the same task type, "
                "or an adjustment of the job's labels, takes the chained job's)",
            )
        completed["label_categories"] = list(categories_from.label_categories)
        completed["label_short_names"] = dict(categories_from.label_short_names)
    return completed


def _reviewed_attribute(fields: dict, task_type: TaskType, source: LabelingJob) -> str:
    """A review job's ``source_label_attribute_name``: as given, or by default the attribute of
    the annotation the source holds (CONTRACTS.md): a verification's is the attribute it verified
    (the boxes it judged); any other job's, its own label attribute (an adjustment's: the
    corrected annotation it wrote)."""
    given = fields.get("source_label_attribute_name") or ""
    if source.task_type == VERIFICATION_TASK_TYPE:
        reviewed = given or source.source_label_attribute_name
    else:
        if annotation_type(source.task_type) not in task_type.reviewed_types:
            raise InvalidInput.for_field(
                "task_type",
                f"{task_type.name} reviews {', '.join(task_type.reviewed_types)} labels; labeling job {source.pk} is "
                f"a {source.task_type} job",
            )
        reviewed = given or source.label_attribute_name
    if reviewed == fields["label_attribute_name"]:
        # The same field as the unchained refusal (labeling/inputs.py) names, given or defaulted.
        raise InvalidInput.for_field(
            "source_label_attribute_name",
            f"must differ from label_attribute_name (the job writes its own attribute beside it); it is {reviewed!r}"
            + ("" if given else f", by default from labeling job {source.pk}"),
        )
    return reviewed


def _categories_source(task_type: TaskType, source: LabelingJob) -> LabelingJob | None:
    """The job whose label categories a chained job takes when it names none: the source, for
    a job of its type; for an adjustment, the job whose labels it adjusts (up the chain past
    a verification of them; an adjustment job's own categories are its labels'); ``None`` when
    there is none to take."""
    if task_type.name == source.task_type:
        return source
    if not task_type.reviewed_types:
        return None
    reviewed: LabelingJob | None = source
    for _ in range(MAX_ANCESTORS):
        if reviewed is None or reviewed.task_type != VERIFICATION_TASK_TYPE:
            break
        reviewed = reviewed.chained_from
    return (
        reviewed if reviewed is not None and annotation_type(reviewed.task_type) in task_type.reviewed_types else None
    )


def _ancestor_attributes(source: LabelingJob) -> dict[str, int]:
    """The label attributes the source's output lines carry from the jobs it chains from, by
    the job that wrote each (the nearest, when two did)."""
    found: dict[str, int] = {}
    job: LabelingJob | None = source
    for _ in range(MAX_ANCESTORS):
        parent_id = job.chained_from_id if job is not None else None
        if parent_id is None:
            break
        job = LabelingJob.objects.only("pk", "label_attribute_name", "chained_from_id").get(pk=parent_id)
        if job.label_attribute_name != source.label_attribute_name:
            found.setdefault(job.label_attribute_name, job.pk)
    return found


def _confidences(source: LabelingJob) -> list[float | None]:
    """The source's objects' confidences in the order its output manifest lists them (the
    output writer's order: non-gold objects by line number)."""
    rows = DataObject.objects.filter(job=source, is_gold=False).order_by("line_number")
    return list(rows.values_list("confidence", flat=True).iterator(chunk_size=5000))


class _Selection:
    """Judges and reshapes the source's output lines for one chained job."""

    def __init__(self, job: LabelingJob, source: LabelingJob) -> None:
        self.select = ChainSelect.of(job.chain_select)
        # A review job takes only the lines holding an annotation to review.
        self.reviewed_attribute = job.source_label_attribute_name if get_task_type(job.task_type).reviewed_types else ""
        self.source_attribute = source.label_attribute_name
        self.relabels = job.label_attribute_name == source.label_attribute_name
        self.confidences = _confidences(source) if self.select.below_confidence is not None else None

    def keep(self, index: int, line: dict) -> bool:
        if self.reviewed_attribute and self.reviewed_attribute not in line:
            return False
        is_labeled = self.source_attribute in line
        below, verdict = self.select.below_confidence, self.select.verdict
        if below is not None:
            assert self.confidences is not None
            confidence = self.confidences[index] if index < len(self.confidences) else None
            return not is_labeled or confidence is None or confidence < below
        if verdict is not None:
            metadata = line.get(f"{self.source_attribute}-metadata")
            return is_labeled and isinstance(metadata, dict) and metadata.get("class-name") == verdict
        return not (self.relabels and is_labeled)

    def reshape(self, line: dict) -> dict:
        if self.relabels:
            line.pop(self.source_attribute, None)
            line.pop(f"{self.source_attribute}-metadata", None)
        return line


def chain_input_write(job: LabelingJob) -> int:
    """Write a chained job's input manifest from its source's output manifest (see the module
    doc); returns how many objects it holds. Idempotent: the source has ended, so a second
    write (a re-run ingestion) writes the same file. Raises ``IngestFailed`` with a reason when
    the source's output cannot be read, does not match its objects, or the selection keeps
    nothing (the upload is then aborted: nothing is written)."""
    source = job.chained_from
    assert source is not None, "only a chained job has a chained input"
    selection = _Selection(job, source)
    kept = total = 0
    try:
        reader = access_storage(source.requester, source.output_manifest_uri, field="output_manifest_uri")
        target = access_storage(job.requester, job.input_manifest_uri, field="input_manifest_uri")
        with target.open_multipart_writer(content_type=JSONL) as out:
            for text in reader.iter_lines(max_line_chars=MAX_OUTPUT_LINE_CHARS):
                if not text.strip():
                    continue
                line = json.loads(text)
                if not isinstance(line, dict):
                    raise ValueError("a line is not a JSON object")
                if selection.keep(total, line):
                    out.write(json.dumps(selection.reshape(line), ensure_ascii=False).encode("utf-8") + b"\n")
                    kept += 1
                total += 1
            if selection.confidences is not None and total != len(selection.confidences):
                raise IngestFailed(
                    f"the output manifest of labeling job {source.pk} lists {total} objects and the job has "
                    f"{len(selection.confidences)}: it was changed since the job wrote it"
                )
            if kept == 0:
                raise IngestFailed(_nothing_selected(job, source, total))
    except DomainError as exc:  # unreachable storage, a registration removed since
        raise IngestFailed(f"chained input: {exc.message}") from None
    except ValueError:  # a line that is not JSON: not the output the source wrote
        raise IngestFailed(f"the output manifest of labeling job {source.pk} is not JSON Lines") from None
    return kept


def _nothing_selected(job: LabelingJob, source: LabelingJob, total: int) -> str:
    if job.chain_select:
        return f"chain_select {json.dumps(job.chain_select)} kept none of labeling job {source.pk}'s {total} objects"
    return f"labeling job {source.pk} labeled all its {total} objects: a job reusing its label attribute has none left"


def chain_starting_model(job: LabelingJob) -> str:
    """Copy the source's last automated-labeling model beside a chained job's output, when both
    jobs use automated labeling and the source's rounds wrote one; returns the copy's URI
    (``model.npz``, its card beside it as ``.json``), recorded as the job's ``starting_model_uri``,
    or ``""``. A model that cannot be read is logged and not reused: the job trains its own."""
    source = job.chained_from
    if source is None:
        return ""
    automation = JobAutomation.objects.filter(job=job).first()
    source_automation = JobAutomation.objects.filter(job=source, rounds__gt=0).first()
    if automation is None or source_automation is None:
        return ""
    try:
        models = output_root(source).child("models")
        npz = models.child("model.npz").read_bytes(max_bytes=MAX_MODEL_BYTES)
        card = models.child("model.json").read_bytes(max_bytes=MAX_MODEL_BYTES)
        copy = output_root(job).child(STARTING_MODEL_NAME)
        copy.child("model.npz").put_bytes(npz, content_type="application/octet-stream")
        copy.child("model.json").put_bytes(card, content_type="application/json")
    except DomainError as exc:
        logger.warning("labeling job %s: the model of job %s is not reused: %s", job.pk, source.pk, exc.message)
        return ""
    uri = copy.child("model.npz").uri
    JobAutomation.objects.filter(pk=automation.pk).update(starting_model_uri=uri)
    return uri


def chain_starting_model_load(job: LabelingJob, automation: JobAutomation, *, n_columns: int) -> LinearModel | None:
    """The starting model ``chain_starting_model`` copied, for the job's first round, when it fits
    the job: the same classes, the same feature recipe (``automation_features.feature_spec``) and
    ``n_columns`` feature columns; ``None`` otherwise (logged): the round trains its own."""
    if not automation.starting_model_uri:
        return None
    try:
        npz = access_storage(job.requester, automation.starting_model_uri, field="starting_model_uri")
        folder = automation.starting_model_uri.rsplit("/", 1)[0]
        card_handle = access_storage(job.requester, f"{folder}/model.json", field="starting_model_uri")
        model = ExportedModel.load(
            npz.read_bytes(max_bytes=MAX_MODEL_BYTES), card_handle.read_bytes(max_bytes=MAX_MODEL_BYTES).decode()
        )
    except (DomainError, ValueError, KeyError, OSError) as exc:
        logger.warning("labeling job %s: the starting model cannot be read: %s", job.pk, exc)
        return None
    linear = model.linear_model()
    fits = (
        model.card.get("classes") == list(job.label_categories)
        and model.card.get("features") == feature_spec(job, automation).describe()
        and linear.form in ("linear", "constant")
        and (linear.columns.size == 0 or int(linear.columns.max()) < n_columns)
        and linear.mean.size in (0, n_columns)
    )
    if not fits:
        logger.warning("labeling job %s: the starting model does not fit its classes or features; not used", job.pk)
        return None
    return linear
