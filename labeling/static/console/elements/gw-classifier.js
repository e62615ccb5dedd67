// <gw-classifier>: one label for an image (`src`), a text (`text`) or a custom task's `input`.
// Keys 1–9 choose the n-th label, Enter submits (Enter on a focused label button chooses that
// label and submits). Value: {"label": "<label>"} or null while none is chosen.
import { TaskElement, contentView, digitIndex, h, labelButtons } from "./shared.js";

export class GwClassifier extends TaskElement {
  build() {
    this._chosen = -1;
    const labels = (this.labels ?? []).map(String);
    this._labels = labels;
    const content = contentView(this, "Image to classify");
    content.ready.then(this._resolveReady);
    const { group, buttons } = labelButtons(labels, "Labels", (index) => this.choose(index));
    this._buttons = buttons;
    this._group = group;
    group.tabIndex = -1;
    this._shown = h("p", { class: "gw-chosen", role: "status", "aria-live": "polite" }, "No label chosen yet.");
    this.append(h("div", { class: "gw-content" }, content.node), group, this._shown);
    this.addEventListener("keydown", (event) => this._onKey(event));
  }

  _onKey(event) {
    const index = digitIndex(event);
    if (index >= 0 && index < this._labels.length) {
      event.preventDefault();
      this.choose(index);
      this._buttons[index].focus(); // so a following Enter "on the focused button" agrees
    } else if (event.key === "Enter" && !event.shiftKey && !event.ctrlKey && !event.altKey && !event.metaKey) {
      event.preventDefault(); // else the focused button's click would follow the submit
      const button = event.target.closest?.(".gw-label");
      if (button && this.contains(button)) this.choose(Number(button.dataset.index));
      this.submit();
    }
  }

  /** Choose the label at `index` (fires gw-change when it changes). */
  choose(index) {
    if (index === this._chosen) return;
    this._chosen = index;
    this._buttons.forEach((button, i) => button.setAttribute("aria-pressed", String(i === index)));
    this._shown.textContent = index >= 0 ? `Chosen: ${this._labels[index]}` : "No label chosen yet.";
    this.emit("gw-change");
  }

  currentValue() {
    return this._chosen >= 0 ? { label: this._labels[this._chosen] } : null;
  }

  restore(answer) {
    const index = answer && typeof answer === "object" ? this._labels.indexOf(answer.label) : -1;
    this._chosen = index;
    this._buttons.forEach((button, i) => button.setAttribute("aria-pressed", String(i === index)));
    this._shown.textContent = index >= 0 ? `Chosen: ${this._labels[index]}` : "No label chosen yet.";
  }

  reportValidity() {
    if (this._chosen >= 0) return true;
    this._shown.textContent = "Choose a label first (keys 1–9 or a button).";
    return false;
  }

  /** Focus the chosen label's button, or the group of labels (so Enter alone picks nothing). */
  focus(options) {
    (this._chosen >= 0 ? this._buttons[this._chosen] : this._group)?.focus(options);
  }
}

customElements.define("gw-classifier", GwClassifier);
