// The task elements and their factory (docs/console.md). Importing this module defines every
// element; `createTaskElement(task)` configures one for a task message of the worker API.
import "./gw-bounding-box.js";
import "./gw-classifier.js";
import "./gw-entity-annotation.js";
import "./gw-label-verification.js";
import "./gw-multi-classifier.js";
import "./gw-mturk-question.js";
import "./gw-schema-form.js";
import "./gw-semantic-segmentation.js";
import "./gw-template-frame.js";

const BY_TYPE = {
  image_classification: "gw-classifier",
  text_classification: "gw-classifier",
  image_multilabel: "gw-multi-classifier",
  text_multilabel: "gw-multi-classifier",
  named_entity_recognition: "gw-entity-annotation",
  bounding_box: "gw-bounding-box",
  semantic_segmentation: "gw-semantic-segmentation",
  // Adjustments: the base type's element, started from the existing annotation.
  bounding_box_adjustment: "gw-bounding-box",
  named_entity_recognition_adjustment: "gw-entity-annotation",
  semantic_segmentation_adjustment: "gw-semantic-segmentation",
  mturk_question: "gw-mturk-question",
  label_verification: "gw-label-verification",
};

/** The tag of the element that answers `task`. */
export function elementTagFor(task) {
  // A job's custom template (docs/templates.md): its tasks carry the marker in their input.
  if (task.input && typeof task.input === "object" && task.input["$template"] === true) return "gw-template-frame";
  if (task.task_type === "custom") {
    const hasLabels = Array.isArray(task.labels) && task.labels.length > 0;
    return hasLabels && task.answer_schema == null ? "gw-classifier" : "gw-schema-form";
  }
  return BY_TYPE[task.task_type] ?? null;
}

/** A configured element for `task`, not yet connected; an Error naming an unknown task type. */
export function createTaskElement(task) {
  const tag = elementTagFor(task);
  if (!tag || !customElements.get(tag)) throw new Error(`no task element for task type ${JSON.stringify(task.task_type)}`);
  const element = document.createElement(tag);
  const input = task.input ?? {};
  element.labels = Array.isArray(task.labels) ? task.labels.map(String) : [];
  element.input = input;
  element.schema = task.answer_schema ?? null;
  if (tag === "gw-mturk-question" || tag === "gw-template-frame") {
    element.assignmentId = task.assignment_id ?? null;
    return element;
  }
  if (task.task_type !== "custom") {
    // Text types carry `source` text; others a presigned `source-url` (an image but for text
    // given by reference, shown as a link among the input).
    if (typeof input.source === "string") element.text = input.source;
    else if (task.task_type.startsWith("image_") || tag !== "gw-classifier" && tag !== "gw-multi-classifier") {
      element.src = input["source-url"] ?? null;
    }
  }
  if (task.task_type.endsWith("_adjustment")) element.initialValue = initialAnnotation(task);
  return element;
}

/** What an adjustment task's element starts from: the input's `existing_annotation` (a mask with
 * `existing_labels`, which name its pixel values), or null. */
function initialAnnotation(task) {
  const existing = task.input?.existing_annotation;
  if (!existing || typeof existing !== "object") return null;
  const names = task.input.existing_labels;
  return typeof existing.mask === "string" && Array.isArray(names) ? { ...existing, labels: names } : existing;
}
