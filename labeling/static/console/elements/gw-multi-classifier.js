// <gw-multi-classifier>: any number of labels for an image (`src`) or a text (`text`).
// Keys 1–9 (or a click, or Space on a focused button) toggle the n-th label; Enter submits.
// Value: {"labels": [...]} in the order of `labels` (an empty list says "none applies").
import { TaskElement, contentView, digitIndex, h, labelButtons } from "./shared.js";

export class GwMultiClassifier extends TaskElement {
  build() {
    this._labels = (this.labels ?? []).map(String);
    this._on = new Set();
    this.classList.add("gw-multi");
    const content = contentView(this, "Image to label");
    content.ready.then(this._resolveReady);
    const { group, buttons } = labelButtons(this._labels, "Labels (choose any)", (index) => this.toggle(index));
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
        this.toggle(index);
        this._buttons[index].focus();
      } else if (event.key === "Enter" && !event.shiftKey && !event.ctrlKey && !event.altKey && !event.metaKey) {
        event.preventDefault(); // Enter submits; it does not toggle the focused button
        this.submit();
      }
    });
  }

  /** Turn the label at `index` on or off (fires gw-change). */
  toggle(index) {
    if (this._on.has(index)) this._on.delete(index);
    else this._on.add(index);
    this._render();
    this.emit("gw-change");
  }

  _render() {
    this._buttons.forEach((button, i) => button.setAttribute("aria-pressed", String(this._on.has(i))));
    const chosen = this.currentValue().labels;
    this._shown.textContent = chosen.length ? `Chosen: ${chosen.join(", ")}` : "No label chosen (Enter submits “none”).";
  }

  currentValue() {
    return { labels: this._labels.filter((_, i) => this._on.has(i)) };
  }

  restore(answer) {
    const given = Array.isArray(answer?.labels) ? answer.labels : [];
    this._on = new Set(given.map((label) => this._labels.indexOf(label)).filter((i) => i >= 0));
    this._render();
  }

  focus(options) {
    this._group?.focus(options);
  }
}

customElements.define("gw-multi-classifier", GwMultiClassifier);
