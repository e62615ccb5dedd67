/* <gw-bounding-box>: labelled boxes drawn on an image.
In: `labels`, `src`, `value`, `initialValue` (boxes to start from: an adjustment). Out: `value` = {"boxes": [{"label", "left", "top", "width",
"height"}], "image_size": {"width", "height"}} in whole image pixels whatever the zoom (null
until loaded); `gw-change` after each edit; `gw-submit` on Enter. The surface
(`data-annotation-surface`) is exactly the displayed image: screen point (x, y) is image pixel
((x - rect.left) * naturalWidth / rect.width, …).
- Drag on empty image: draw a box with the current label. New boxes are not selected, so keys
  go on setting the next box's label; click a box to select it (Esc, empty image: deselect).
- Drag a box: move it; drag a handle of the selected box: resize it.
- 1–9 or a label button: the selected box's label, or the next box's when none is selected.
- Arrows nudge the selected box 1 px (Shift: 10 px); Delete/Backspace or the button removes it.
  The list under the image names every box and selects it.
- Zoom and pan: drawing-view.js (+ - 0, Ctrl + wheel, Space + drag, middle drag, H).
- Enter submits. Boxes are clamped to the image; boxes without area are dropped.
- With an `initialValue`, Reset goes back to those boxes.
*/

import { DrawingElement, button, clamp, dispatch, h, isControl, labelButtons, labelColor, pressed } from "./drawing-view.js";
import { withInitialValue } from "./shared.js";

const HANDLES = ["nw", "n", "ne", "e", "se", "s", "sw", "w"];
const CURSORS = { nw: "nwse", se: "nwse", ne: "nesw", sw: "nesw", n: "ns", s: "ns", e: "ew", w: "ew" };
const REACH = 9; // CSS px from a handle's centre that still takes the handle
const SLOP = 3; // CSS px a press may move and still be a click

class GwBoundingBox extends withInitialValue(DrawingElement, "The boxes to start from could not be read.") {
  constructor() {
    super("Image: drag to draw a box, drag a box to move it, its handles to resize it");
    // A box is {label: index, l, t, r, b}: its edges in whole image pixels.
    Object.assign(this, { _boxes: [], _selected: -1, _current: 0, _drag: null });
    this._view.surface.setAttribute("data-annotation-surface", "");
    this._layer = h("div", { class: "gwd-layer" });
    this._view.surface.append(this._layer);
  }

  get value() {
    if (!this._measured) return null;
    const { width, height } = this._view;
    const boxes = this._boxes.map(({ label, l, t, r, b }) => ({ label: this._labels[label], left: l, top: t, width: r - l, height: b - t }));
    return { boxes, image_size: { width, height } };
  }
  set value(value) {
    this._pending = value?.boxes || [];
    this._pendingSize = value?.image_size ?? null;
    if (this._measured) this._setUp();
  }

  /* `initialValue` (shared.js withInitialValue): the annotation to start from (an adjustment
   * task's existing boxes), in the answer format; its boxes are scaled from its `image_size` to
   * the image's and edited like drawn ones. Also the `initial-value` attribute (JSON). A draft
   * `value` set after it wins. */
  _build() {
    this._picker = h("div", { class: "gwd-labels", role: "group", "aria-label": "Label" });
    this._delete = button("Delete box", "Delete the selected box (Delete)", () => this._remove());
    // Back to the boxes an adjustment started from (shown only when there are some).
    this._reset = button("Reset", "Back to the boxes the task started with", () => this._resetToInitial(), "Reset to the starting boxes");
    this._reset.hidden = !this._initial;
    this._list = h("ol", { class: "gwd-list", "aria-label": "Boxes" });
    const tools = h("div", { class: "gwd-toolbar", role: "toolbar", "aria-label": "Box tools" }, this._picker, h("span", { class: "gwd-group" }, ...this._view.controls, this._delete, this._reset));
    this.append(tools, this._view.viewport, this._status, this._list);
  }

  _labelsChanged() {
    if (this._picker) labelButtons(this._picker, this._labels, (i) => this._setLabel(i));
  }

  /** Restores the pending boxes, scaled from the size they were drawn on, clamped to the
   * image, dropping those without area or with a label this task does not have. */
  _setUp() {
    if (!this._pending) return;
    const { width, height } = this._view;
    const size = this._pendingSize;
    const [sx, sy] = size?.width > 0 && size?.height > 0 ? [width / size.width, height / size.height] : [1, 1];
    const x = (v) => clamp(Math.round(v * sx), 0, width);
    const y = (v) => clamp(Math.round(v * sy), 0, height);
    this._boxes = this._pending
      .map((b) => ({ label: this._labels.indexOf(b.label), l: x(+b.left), t: y(+b.top), r: x(+b.left + +b.width), b: y(+b.top + +b.height) }))
      .filter((b) => b.label >= 0 && b.r > b.l && b.b > b.t);
    this._pending = null;
    this._select(-1);
  }

  _resetToInitial() {
    if (!this._initial || !this._measured) return;
    this.value = this._initial;
    this._changed();
  }

  _setLabel(index) {
    if (index >= this._labels.length) return;
    this._current = index;
    if (this._selected < 0) return this._onView();
    this._boxes[this._selected].label = index;
    this._changed();
  }

  _select(index) {
    this._selected = index;
    this._onView();
  }

  _remove() {
    if (this._selected < 0) return;
    this._boxes.splice(this._selected, 1);
    this._selected = -1;
    this._changed();
  }

  _changed() {
    this._onView();
    dispatch(this, "gw-change", this.value);
  }

  _onKey(e) {
    if (this._view.onKey(e) || e.ctrlKey || e.metaKey || e.altKey) return;
    const key = e.key;
    const box = this._boxes[this._selected];
    if (/^[1-9]$/.test(key)) this._setLabel(key - 1);
    else if (key === "Enter") {
      if (isControl(e.target)) return;
      if (this.value) dispatch(this, "gw-submit", this.value);
    } else if (key === "Escape") this._drag ? this._cancel() : this._select(-1);
    else if (!box) return;
    else if (key === "Delete" || key === "Backspace") this._remove();
    else if (key.startsWith("Arrow")) {
      const step = e.shiftKey ? 10 : 1;
      this._shift(box, box, { ArrowLeft: -step, ArrowRight: step }[key] || 0, { ArrowUp: -step, ArrowDown: step }[key] || 0);
      this._changed();
    } else return;
    e.preventDefault();
  }

  _shift(box, from, dx, dy) {
    dx = clamp(dx, -from.l, this._view.width - from.r);
    dy = clamp(dy, -from.t, this._view.height - from.b);
    Object.assign(box, { l: from.l + dx, r: from.r + dx, t: from.t + dy, b: from.b + dy });
  }

  /** What a press at image point p takes: a handle of the selected box, a box, or nothing. */
  _hit(p) {
    const reach = REACH / this._view.zoom;
    const s = this._boxes[this._selected];
    const at = (low, high, name, before, after) => (name.includes(before) ? low : name.includes(after) ? high : (low + high) / 2);
    const handle = s && HANDLES.find((n) => Math.abs(at(s.l, s.r, n, "w", "e") - p.x) <= reach && Math.abs(at(s.t, s.b, n, "n", "s") - p.y) <= reach);
    if (handle) return { box: this._selected, handle };
    // The smallest box under the point wins, so a box inside another stays reachable.
    const area = (b) => (b ? (b.r - b.l) * (b.b - b.t) : Infinity);
    return { box: this._boxes.reduce((best, b, i) => (p.x >= b.l && p.x <= b.r && p.y >= b.t && p.y <= b.b && area(b) < area(this._boxes[best]) ? i : best), -1) };
  }

  _onPointer(e) {
    const drag = this._drag;
    const v = this._view;
    if (!this._measured) return;
    const p = v.toImage(e);
    if (e.type === "pointerdown") {
      if (e.button || drag) return;
      e.preventDefault();
      v.viewport.focus({ preventScroll: true });
      const { box, handle } = this._hit(p);
      this._selected = box;
      this._drag = { id: e.pointerId, handle, start: p, x: e.clientX, y: e.clientY, original: { ...this._boxes[box] } };
      v.surface.setPointerCapture(e.pointerId);
      return this._onView();
    }
    if (!drag) {
      const { box, handle } = this._hit(p);
      v.surface.style.cursor = handle ? `${CURSORS[handle]}-resize` : box >= 0 ? "move" : "";
      return;
    }
    if (e.pointerId !== drag.id) return;
    if (e.type === "pointercancel") return this._cancel();
    const drawing = this._selected < 0;
    if (e.type === "pointerup") {
      this._drag = null;
      const drawn = drag.box && drag.box.r > drag.box.l && drag.box.b > drag.box.t && this._boxes.push(drag.box);
      return (drawing ? drawn : drag.moved) ? this._changed() : this._onView();
    }
    if (!drag.moved && Math.hypot(e.clientX - drag.x, e.clientY - drag.y) < SLOP) return;
    drag.moved = true;
    const x = clamp(Math.round(p.x), 0, v.width);
    const y = clamp(Math.round(p.y), 0, v.height);
    const o = drag.original;
    const box = this._boxes[this._selected];
    if (drawing) {
      const [sx, sy] = [clamp(Math.round(drag.start.x), 0, v.width), clamp(Math.round(drag.start.y), 0, v.height)];
      drag.box = { label: this._current, l: Math.min(sx, x), t: Math.min(sy, y), r: Math.max(sx, x), b: Math.max(sy, y) };
    } else if (!drag.handle) this._shift(box, o, Math.round(p.x - drag.start.x), Math.round(p.y - drag.start.y));
    else {
      const edge = (name, low, high, at) => (drag.handle.includes(name) ? at : name === "w" || name === "n" ? low : high);
      let [l, r, t, b] = [edge("w", o.l, o.r, x), edge("e", o.l, o.r, x), edge("n", o.t, o.b, y), edge("s", o.t, o.b, y)];
      [l, r, t, b] = [Math.min(l, r), Math.max(l, r), Math.min(t, b), Math.max(t, b)];
      // A resized box keeps at least one pixel: dropping it mid-drag would surprise.
      if (r === l) r < v.width ? r++ : l--;
      if (b === t) b < v.height ? b++ : t--;
      Object.assign(box, { l, r, t, b });
    }
    this._onView(true);
  }

  _cancel() {
    const drag = this._drag;
    this._drag = null;
    if (this._selected >= 0) Object.assign(this._boxes[this._selected], drag.original);
    this._onView();
  }

  _describe(b) {
    return `${this._labels[b.label]}, ${b.r - b.l} × ${b.b - b.t} at ${b.l}, ${b.t}`;
  }

  /** Draws the boxes in percent of the image, so they follow the zoom; the list after drags. */
  _onView(dragging = false) {
    const { width, height } = this._view;
    const selected = this._boxes[this._selected];
    const percent = (value, of) => `${(value / of) * 100}%`;
    this._layer.replaceChildren(
      ...[...this._boxes, ...(this._drag?.box ? [this._drag.box] : [])].map((b) => {
        const color = labelColor(b.label);
        const tag = h("span", { class: "gwd-tag", text: this._labels[b.label] ?? "" });
        tag.style.borderColor = color;
        const box = h("div", { class: b === selected ? "gwd-box gwd-selected" : "gwd-box" }, tag);
        Object.assign(box.style, { left: percent(b.l, width), top: percent(b.t, height), width: percent(b.r - b.l, width), height: percent(b.b - b.t, height), color });
        if (b === selected) box.append(...HANDLES.map((name) => h("span", { class: `gwd-handle gwd-${name}` })));
        return box;
      }),
    );
    this._delete.toggleAttribute("disabled", !selected);
    pressed(this._picker.children, (_, i) => i === (selected ? selected.label : this._current));
    const n = this._boxes.length;
    this._status.textContent = selected
      ? `Box ${this._selected + 1} of ${n} selected: ${this._describe(selected)}.`
      : `${n} ${n === 1 ? "box" : "boxes"}; the next is labelled ${this._labels[this._current] ?? ""}.`;
    if (dragging) return;
    const pick = (i) => this._select(i) || this.focus(); // the list is rebuilt: focus the image
    this._list.replaceChildren(...this._boxes.map((b, i) => h("li", {}, h("button", { type: "button", "aria-pressed": b === selected, onclick: () => pick(i) }, this._describe(b)))));
  }
}

if (!customElements.get("gw-bounding-box")) customElements.define("gw-bounding-box", GwBoundingBox);
