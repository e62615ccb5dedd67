/* <gw-label-verification>: judge an existing label, or boxes, with a verdict and a comment.
In: `labels` (the verdicts), `src` or `text` (the object), `input` (the task's input, whose
`existing_type`, `existing_annotation` and `existing_labels` say what to judge:
docs/labeling.md "Verification"). Out: `value` = {"verdict": "<verdict>", "comment"?: "<text>"}
(the comment trimmed, left out when empty), or null while no verdict is chosen; `gw-change` after
each edit; `gw-submit` on Enter.
- Boxes are drawn over the image (in percent of the annotation's image size, so they follow the
  displayed size) and listed as text; a classification's label is shown above the object.
- 1–9 or a button: the verdict. Enter submits (on a focused verdict button: that verdict).
- The comment is an ordinary text box: keys type there; Ctrl/⌘ + Enter submits from it.
*/
import { TaskElement, contentView, digitIndex, h, httpUrl, isTyping, labelButtons, nextId } from "./shared.js";
import { labelColor } from "./drawing-view.js";

const MAX_COMMENT = 2000;

/** The boxes of a bounding-box annotation, kept only when well formed. */
function boxesOf(annotation) {
  const size = annotation?.image_size;
  const boxes = Array.isArray(annotation?.boxes) ? annotation.boxes : [];
  if (!size || !(size.width > 0) || !(size.height > 0)) return { size: null, boxes: [] };
  const number = (v) => (typeof v === "number" && Number.isFinite(v) ? v : null);
  return {
    size,
    boxes: boxes.filter((b) => b && typeof b.label === "string" && [b.left, b.top, b.width, b.height].every((v) => number(v) !== null)),
  };
}

export class GwLabelVerification extends TaskElement {
  build() {
    this._labels = (this.labels ?? []).map(String);
    this._verdict = -1;
    const input = this.input ?? {};
    const existingType = String(input.existing_type ?? "");
    const existingLabels = Array.isArray(input.existing_labels) ? input.existing_labels.map(String) : [];
    this.classList.add("gw-verify");

    const judged = h("section", { class: "gw-verify-existing", "aria-label": "The label to check" });
    let content;
    if (existingType === "bounding_box") {
      content = this._boxedImage(input.existing_annotation, existingLabels, judged);
    } else {
      const label = input.existing_annotation?.label;
      judged.append(h("p", { class: "gw-verify-label" }, "Label to check: ", h("strong", {}, typeof label === "string" ? label : "(none)")));
      // A text given by reference (text_classification with source-ref) is a link, not an image.
      const url = !this.text && existingType.startsWith("text_") ? httpUrl(this.src) : null;
      content = url
        ? { node: h("a", { href: url.href, target: "_blank", rel: "noopener noreferrer" }, "Open the text to check"), ready: Promise.resolve() }
        : contentView(this, "Object whose label to check");
    }
    content.ready.then(this._resolveReady);

    const { group, buttons } = labelButtons(this._labels, "Verdict", (index) => this.choose(index));
    this._buttons = buttons;
    this._group = group;
    group.tabIndex = -1;
    const commentId = nextId("gw-comment");
    this._comment = h("textarea", { id: commentId, class: "gw-verify-comment", rows: 2, maxlength: MAX_COMMENT, placeholder: "What is wrong, if anything (optional)" });
    this._comment.addEventListener("input", () => this.emit("gw-change"));
    this._shown = h("p", { class: "gw-chosen", role: "status", "aria-live": "polite" });
    this.append(
      judged,
      h("div", { class: "gw-content" }, content.node),
      group,
      h("div", { class: "gw-verify-comment-field" }, h("label", { for: commentId }, "Comment (optional)"), this._comment),
      this._shown,
      h("p", { class: "gw-hint" }, "Keys 1–9 choose a verdict, Enter submits; in the comment, Ctrl+Enter submits."),
    );
    this._render();
    this.addEventListener("keydown", (event) => this._onKey(event));
  }

  /** The image with the boxes over it, and their list in `judged`; returns the content view. */
  _boxedImage(annotation, existingLabels, judged) {
    const view = contentView(this, "Image whose boxes to check");
    const { size, boxes } = boxesOf(annotation);
    const percent = (value, of) => `${(value / of) * 100}%`;
    const colourOf = (label) => labelColor(Math.max(existingLabels.indexOf(label), 0));
    const layer = h("div", { class: "gw-verify-layer", "aria-hidden": "true" }, ...boxes.map((b) => {
      const tag = h("span", { class: "gw-verify-tag" }, b.label);
      tag.style.borderColor = colourOf(b.label);
      const box = h("div", { class: "gw-verify-box" }, tag);
      Object.assign(box.style, {
        left: percent(b.left, size.width), top: percent(b.top, size.height),
        width: percent(b.width, size.width), height: percent(b.height, size.height), color: colourOf(b.label),
      });
      return box;
    }));
    const described = (b) => `${b.label}, ${Math.round(b.width)} × ${Math.round(b.height)} at ${Math.round(b.left)}, ${Math.round(b.top)}`;
    judged.append(h("p", { class: "gw-verify-label" }, boxes.length ? `Boxes to check (${boxes.length}):` : "No boxes were drawn on this image: is that right?"));
    if (boxes.length) judged.append(h("ol", { class: "gw-verify-list" }, boxes.map((b) => h("li", {}, described(b)))));
    return { node: h("div", { class: "gw-verify-figure" }, view.node, layer), ready: view.ready };
  }

  _onKey(event) {
    const plain = !event.shiftKey && !event.ctrlKey && !event.altKey && !event.metaKey;
    if (isTyping(event.target)) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        this.submit();
      }
      return;
    }
    const index = digitIndex(event);
    if (index >= 0 && index < this._labels.length) {
      event.preventDefault();
      this.choose(index);
      this._buttons[index].focus();
    } else if (event.key === "Enter" && plain) {
      event.preventDefault(); // else the focused button's click would follow the submit
      const button = event.target.closest?.(".gw-label");
      if (button && this.contains(button)) this.choose(Number(button.dataset.index));
      this.submit();
    }
  }

  /** Choose the verdict at `index` (fires gw-change when it changes). */
  choose(index) {
    if (this._verdict === index) return;
    this._verdict = index;
    this._render();
    this.emit("gw-change");
  }

  _render(problem) {
    this._buttons.forEach((button, i) => button.setAttribute("aria-pressed", String(i === this._verdict)));
    const chosen = this._labels[this._verdict];
    this._shown.textContent = problem ?? (chosen ? `Verdict: ${chosen}` : "No verdict chosen yet.");
  }

  currentValue() {
    const verdict = this._labels[this._verdict];
    if (!verdict) return null;
    const comment = this._comment.value.trim();
    return comment ? { verdict, comment } : { verdict };
  }

  restore(answer) {
    this._verdict = this._labels.indexOf(answer?.verdict);
    this._comment.value = typeof answer?.comment === "string" ? answer.comment : "";
    this._render();
  }

  reportValidity() {
    if (this.value) return true;
    this._render("Choose a verdict first (keys 1–9 or a button).");
    return false;
  }

  /** Focus the chosen verdict's button, else the group (so Enter alone picks nothing). */
  focus(options) {
    (this._verdict < 0 ? this._group : this._buttons[this._verdict])?.focus(options);
  }
}

if (!customElements.get("gw-label-verification")) customElements.define("gw-label-verification", GwLabelVerification);
