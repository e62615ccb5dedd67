// <gw-entity-annotation>: named entities in `text` (keys in docs/console.md). Positions are
// code point indexes of the text (as Python counts). A DOM point becomes the UTF-16 length of
// the surface's text before it (the surface holds exactly the text: label names are CSS
// generated content, the caret an empty element), then a code point; selections snap to graphemes.
import { TaskElement, digitIndex, h, labelButtons, nextId, withInitialValue } from "./shared.js";

const COLOURS = 10;
const segmenter = (granularity) =>
  typeof Intl !== "undefined" && Intl.Segmenter ? new Intl.Segmenter(undefined, { granularity }) : null;

/** Index of the largest sorted[i] <= x (binary search). */
function floorIndex(sorted, x) {
  let low = 0;
  let high = sorted.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (sorted[mid] <= x) low = mid;
    else high = mid - 1;
  }
  return low;
}

export class GwEntityAnnotation extends withInitialValue(TaskElement, "The entities to start from could not be read.") {
  build() {
    this._labels = (this.labels ?? []).map(String);
    this._index(String(this.text ?? this.input?.source ?? ""));
    this._entities = []; // {label (index), start, end} in code points, sorted, disjoint
    this._selected = null; // the entity under the caret or last clicked
    this._caret = 0;
    this._anchor = 0;
    this._focused = false;

    const hintId = nextId("gw-ner-hint");
    this._surface = h("div", {
      class: "gw-ner-text", "data-annotation-surface": true, tabindex: "0", role: "textbox",
      "aria-readonly": "true", "aria-multiline": "true", "aria-label": "Text to annotate", "aria-describedby": hintId,
    });
    const { group, buttons } = labelButtons(this._labels, "Label for the selection", (index) => this.label(index));
    this._buttons = buttons;
    buttons.forEach((button, i) => (button.dataset.colour = i % COLOURS));
    this.classList.add("gw-ner");
    group.addEventListener("mousedown", (event) => event.preventDefault()); // keep the selection and focus
    this._list = h("ol", { class: "gw-entity-list", "aria-label": "Entities" });
    this._status = this.liveRegion();
    this.append(
      h("div", { class: "gw-ner-frame" }, this._surface),
      h("p", { class: "gw-hint", id: hintId }, "Select text with the mouse, or ←/→ (Ctrl: by word) with Shift; ",
        "1–9 label it, Delete removes the entity at the caret, Esc clears, Enter submits."),
      group, this._status, this._list,
    );
    // Back to the entities an adjustment started from (shown only when there are some).
    this._reset = h("button", { type: "button", class: "gw-button", "aria-label": "Reset to the starting entities" }, "Reset");
    this._reset.hidden = !this._initial;
    this._reset.addEventListener("click", () => {
      this.restore(this._initial);
      this._say("Back to the entities the task started with.");
      this.emit("gw-change");
      this._surface.focus();
    });
    this.append(this._reset);
    // Focus changes redraw only the caret: redrawing the list under a pressed button would
    // swallow its click.
    this._surface.addEventListener("focus", () => { this._focused = true; this._renderText(); });
    this._surface.addEventListener("blur", () => { this._focused = false; this._renderText(); });
    this._surface.addEventListener("keydown", (event) => this._onSurfaceKey(event));
    this.addEventListener("keydown", (event) => this._onKey(event));
    this._onPointerUp = (event) => this._afterPointer(event);
    this._render();
    this._resolveReady();
  }

  connectedCallback() {
    super.connectedCallback();
    if (this._onPointerUp) document.addEventListener("pointerup", this._onPointerUp);
  }

  disconnectedCallback() {
    document.removeEventListener("pointerup", this._onPointerUp);
  }

  /** Code point ↔ UTF-16 maps and the grapheme and word boundaries (code points) of `text`. */
  _index(text) {
    this._text = text;
    const u16 = [0];
    for (const ch of text) u16.push(u16[u16.length - 1] + ch.length);
    this._u16 = u16; // code point index -> UTF-16 offset
    this._length = u16.length - 1;
    const cp = new Int32Array(text.length + 1);
    for (let i = 0; i < this._length; i++) for (let j = u16[i]; j < u16[i + 1]; j++) cp[j] = i;
    cp[text.length] = this._length;
    this._cp = cp; // UTF-16 offset -> code point index (rounded down inside a surrogate pair)
    const graphemes = segmenter("grapheme");
    this._graphemes = graphemes
      ? [...[...graphemes.segment(text)].map((s) => cp[s.index]), this._length]
      : u16.map((_, i) => i);
    const words = segmenter("word");
    const starts = [];
    const ends = [];
    for (const s of words ? words.segment(text) : []) {
      if (!s.isWordLike) continue;
      starts.push(cp[s.index]);
      ends.push(cp[s.index + s.segment.length]);
    }
    this._wordStarts = starts;
    this._wordEnds = ends;
  }

  _snapDown(x) {
    return this._graphemes[floorIndex(this._graphemes, x)];
  }

  _snapUp(x) {
    const i = floorIndex(this._graphemes, x);
    return this._graphemes[i] === x ? x : this._graphemes[Math.min(i + 1, this._graphemes.length - 1)];
  }

  /** The code point index of a DOM point inside the surface. */
  _offsetOf(node, offset) {
    const range = document.createRange();
    range.setStart(this._surface, 0);
    range.setEnd(node, offset);
    return this._cp[Math.min(range.toString().length, this._text.length)];
  }

  _slice(start, end) {
    return this._text.slice(this._u16[start], this._u16[end]);
  }

  get _range() {
    return [Math.min(this._anchor, this._caret), Math.max(this._anchor, this._caret)];
  }

  _entityAt(position) {
    return this._entities.find((e) => e.start <= position && position < e.end) ?? null;
  }

  /** Move the caret to `position` (extending the selection when `extend`). */
  _moveTo(position, extend) {
    this._caret = Math.max(0, Math.min(position, this._length));
    if (!extend) this._anchor = this._caret;
    const [start, end] = this._range;
    this._selected = start === end ? this._entityAt(this._caret) : null;
    this._render();
    this._announceSelection();
    this._surface.querySelector(".gw-caret")?.scrollIntoView?.({ block: "nearest" });
  }

  _announceSelection() {
    const [start, end] = this._range;
    if (start < end) this._say(`Selected “${this._slice(start, end)}”. Press 1–9 to label it.`);
    else if (this._selected) this._say(`On ${this._describe(this._selected)}.`);
  }

  _describe(entity) {
    return `${this._labels[entity.label]} “${this._slice(entity.start, entity.end)}”`;
  }

  _say(message) {
    this._status.textContent = message;
  }

  _onSurfaceKey(event) {
    const { key, shiftKey } = event;
    const byWord = event.ctrlKey || event.altKey;
    let target = null;
    if (key === "ArrowRight") {
      if (byWord) target = this._wordEnds.find((end) => end > this._caret) ?? this._length;
      else target = this._graphemes[Math.min(floorIndex(this._graphemes, this._caret) + 1, this._graphemes.length - 1)];
    } else if (key === "ArrowLeft") {
      if (byWord) target = this._wordStarts.findLast((start) => start < this._caret) ?? 0;
      else target = this._graphemes[Math.max(floorIndex(this._graphemes, this._snapUp(this._caret)) - 1, 0)];
    } else if (key === "Home") target = 0;
    else if (key === "End") target = this._length;
    else if (key === "Escape") {
      target = this._caret;
      this._selected = null;
    } else if (key === "Delete" || key === "Backspace") {
      event.preventDefault();
      if (this._selected) this.removeEntity(this._selected);
      else this._say("No entity at the caret to remove.");
      return;
    }
    if (target === null) return;
    event.preventDefault();
    this._moveTo(target, shiftKey && key !== "Escape");
  }

  _onKey(event) {
    const index = digitIndex(event);
    if (index >= 0 && index < this._labels.length) {
      event.preventDefault();
      this.label(index);
    } else if (event.key === "Enter" && event.target === this._surface && !event.shiftKey) {
      event.preventDefault(); // Enter on a button inside activates the button instead
      this.submit();
    }
  }

  /** After a mouse or touch gesture: a click in the text puts the caret there (on an entity:
   * selects it); a selection becomes the one to label. */
  _afterPointer(event) {
    const range = this._nativeRange();
    if (!range) return;
    if (range.collapsed) {
      if (!this._surface.contains(range.startContainer) || !this._surface.contains(event.target)) return;
      this._anchor = this._caret = this._snapDown(this._offsetOf(range.startContainer, range.startOffset));
      this._selected = this._entityAt(this._caret);
    } else this._adopt(range);
    document.getSelection().removeAllRanges();
    this._surface.focus({ preventScroll: true });
    this._render();
    this._announceSelection();
  }

  /** The document's selection when it touches the text. */
  _nativeRange() {
    const selection = document.getSelection();
    const range = selection?.rangeCount ? selection.getRangeAt(0) : null;
    return range?.intersectsNode(this._surface) ? range : null;
  }

  /** Make a DOM range (clipped to the text, trimmed of white space) the selection. */
  _adopt(range) {
    const inside = (node) => this._surface.contains(node);
    let start = inside(range.startContainer) ? this._offsetOf(range.startContainer, range.startOffset) : 0;
    let end = inside(range.endContainer) ? this._offsetOf(range.endContainer, range.endOffset) : this._length;
    while (start < end && /\s/u.test(this._slice(start, start + 1))) start++;
    while (end > start && /\s/u.test(this._slice(end - 1, end))) end--;
    this._anchor = this._snapDown(start);
    this._caret = start < end ? this._snapUp(end) : this._anchor;
    this._selected = null;
  }

  /** Label the selection with the label at `index` (replacing entities it overlaps), or
   * relabel the entity under the caret. Fires gw-change. */
  label(index) {
    // A touch selection may still be the browser's (its handles were moved after pointerup).
    const native = this._nativeRange();
    if (native && !native.collapsed) this._adopt(native);
    const [start, end] = this._range;
    if (start < end) {
      const replaced = this._entities.filter((e) => e.start < end && start < e.end);
      const same = replaced.length === 1 && replaced[0].start === start && replaced[0].end === end;
      const entity = { label: index, start, end };
      this._entities = [...this._entities.filter((e) => !replaced.includes(e)), entity].sort((a, b) => a.start - b.start);
      this._selected = entity;
      this._anchor = this._caret = end;
      const note = replaced.length && !same ? ` Replaced ${replaced.map((e) => this._describe(e)).join(", ")}.` : "";
      this._say(`Labelled ${this._describe(entity)}.${note}`);
    } else if (this._selected) {
      this._selected.label = index;
      this._say(`Relabelled ${this._describe(this._selected)}.`);
    } else {
      this._say("Select some text first, then choose its label.");
      return;
    }
    this._render();
    this.emit("gw-change");
  }

  /** Remove `entity` (fires gw-change). */
  removeEntity(entity) {
    this._entities = this._entities.filter((e) => e !== entity);
    if (this._selected === entity) this._selected = null;
    this._say(`Removed ${this._describe(entity)}.`);
    this._render();
    this.emit("gw-change");
  }

  _render() {
    this._renderText();
    this._renderList();
    const current = this._selected?.label ?? -1;
    this._buttons.forEach((button, i) => button.setAttribute("aria-pressed", String(i === current)));
  }

  /** The text with its entities (marks), the selection and the caret. */
  _renderText() {
    const [start, end] = this._range;
    const cuts = new Set([0, this._length, start, end, this._caret]);
    for (const e of this._entities) cuts.add(e.start).add(e.end);
    const points = [...cuts].sort((a, b) => a - b);
    const nodes = [];
    let mark = null;
    for (let i = 0; i < points.length; i++) {
      const a = points[i];
      const last = i === points.length - 1;
      const entity = last ? null : this._entityAt(a);
      if (mark && mark.entity !== entity) mark = null;
      if (entity && !mark) {
        const current = entity === this._selected ? "true" : null;
        const label = this._labels[entity.label];
        mark = { entity, node: h("mark", { class: "gw-entity", "data-label": label, "data-colour": entity.label % COLOURS, "aria-current": current }) };
        nodes.push(mark.node);
      }
      const put = (node) => (mark ? mark.node.append(node) : nodes.push(node));
      if (a === this._caret && this._focused) put(h("span", { class: "gw-caret", "aria-hidden": "true" }));
      if (last) break;
      const piece = document.createTextNode(this._slice(a, points[i + 1]));
      put(start < end && start <= a && points[i + 1] <= end ? h("span", { class: "gw-pending" }, piece) : piece);
    }
    this._surface.replaceChildren(...nodes);
  }

  _renderList() {
    this._list.replaceChildren(...this._entities.map((entity) => {
      const name = this._describe(entity);
      const shown = h("span", { class: "gw-entity-item" },
        h("span", { class: "gw-tag", "data-colour": entity.label % COLOURS }, this._labels[entity.label]), " ",
        this._slice(entity.start, entity.end));
      const remove = h("button", { type: "button", class: "gw-button", "aria-label": `Remove ${name}` }, "Remove");
      remove.addEventListener("click", () => {
        this.removeEntity(entity);
        this._surface.focus();
      });
      return h("li", { "aria-current": entity === this._selected ? "true" : null }, shown, remove);
    }));
  }

  currentValue() {
    return { entities: this._entities.map((e) => ({ label: this._labels[e.label], start: e.start, end: e.end })) };
  }

  /** Restore an answer, dropping entities with an unknown label, outside the text or overlapping. */
  restore(answer) {
    const kept = [];
    const given = (Array.isArray(answer?.entities) ? answer.entities : []).filter((e) => e && typeof e === "object");
    for (const e of given.sort((a, b) => a.start - b.start)) {
      const label = this._labels.indexOf(e.label);
      const ok = label >= 0 && Number.isInteger(e.start) && Number.isInteger(e.end) && 0 <= e.start && e.start < e.end;
      if (ok && e.end <= this._length && !kept.some((k) => k.start < e.end && e.start < k.end)) {
        kept.push({ label, start: e.start, end: e.end });
      }
    }
    this._entities = kept;
    this._selected = null;
    this._render();
  }

  /* `initialValue` (shared.js withInitialValue): the entities to start from (an adjustment task's
   * existing annotation), in the answer format; edited like marked ones. Also the `initial-value`
   * attribute (JSON). A draft `value` set after it wins. */
  focus(options) {
    this._surface?.focus(options);
  }
}

customElements.define("gw-entity-annotation", GwEntityAnnotation);
