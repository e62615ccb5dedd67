// <gw-classifier>: one label for an image (`src`), a text (`text`) or a custom task's `input`;
// {"label": "<label>"}, or null while none is chosen. <gw-multi-classifier> extends it.
import { TaskElement, contentView, digitIndex, h, labelButtons } from "./shared.js";

export class GwClassifier extends TaskElement {
  build() {
    this._labels = (this.labels ?? []).map(String);
    this._on = new Set(); // indexes of the chosen labels
    const content = contentView(this, "Image to label");
    content.ready.then(this._resolveReady);
    const { group, buttons } = labelButtons(this._labels, this.groupName, (index) => this.choose(index));
    this._buttons = buttons;
    this._group = group;
    group.tabIndex = -1;
    this._shown = h("p", { class: "gw-chosen", role: "status", "aria-live": "polite" });
    this.append(h("div", { class: "gw-content" }, content.node), group, this._shown);
    this._render();
    this.addEventListener("keydown", (event) => {
      const index = digitIndex(event);
      if (index >= 0 && index < this._labels.length) {
        event.preventDefault();
        this.choose(index);
        this._buttons[index].focus(); // so a following Enter "on the focused button" agrees
      } else if (event.key === "Enter" && !event.shiftKey && !event.ctrlKey && !event.altKey && !event.metaKey) {
        event.preventDefault(); // else the focused button's click would follow the submit
        const button = event.target.closest?.(".gw-label");
        if (button && this.contains(button) && !this.multiple) this.choose(Number(button.dataset.index));
        this.submit();
      }
    });
  }

  get groupName() {
    return "Labels";
  }

  /** Choose the label at `index` (fires gw-change when it changes). */
  choose(index) {
    if (this._on.has(index)) return;
    this._on = new Set([index]);
    this._render();
    this.emit("gw-change");
  }

  _render(problem) {
    this._buttons.forEach((button, i) => button.setAttribute("aria-pressed", String(this._on.has(i))));
    const chosen = this._labels.filter((_, i) => this._on.has(i));
    this._shown.textContent = problem ?? (chosen.length ? `Chosen: ${chosen.join(", ")}` : this.noneMessage);
  }

  get noneMessage() {
    return "No label chosen yet.";
  }

  currentValue() {
    const [index] = this._on;
    return index === undefined ? null : { label: this._labels[index] };
  }

  restore(answer) {
    const index = this._labels.indexOf(answer?.label);
    this._on = new Set(index >= 0 ? [index] : []);
    this._render();
  }

  reportValidity() {
    if (this.value) return true;
    this._render("Choose a label first (keys 1–9 or a button).");
    return false;
  }

  /** Focus the chosen label's button, else the group (so Enter alone picks nothing). */
  focus(options) {
    const [index] = this._on;
    (index === undefined ? this._group : this._buttons[index])?.focus(options);
  }
}

customElements.define("gw-classifier", GwClassifier);
