// <gw-multi-classifier>: any number of labels; {"labels": [...]} in the order of `labels` (an
// empty list says "none applies"). Keys 1–9 toggle; Enter submits without toggling.
import { GwClassifier } from "./gw-classifier.js";

export class GwMultiClassifier extends GwClassifier {
  get multiple() {
    return true;
  }

  get groupName() {
    return "Labels (choose any)";
  }

  get noneMessage() {
    return "No label chosen (Enter submits “none”).";
  }

  build() {
    this.classList.add("gw-multi");
    super.build();
  }

  /** Turn the label at `index` on or off (fires gw-change). */
  choose(index) {
    if (!this._on.delete(index)) this._on.add(index);
    this._render();
    this.emit("gw-change");
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
