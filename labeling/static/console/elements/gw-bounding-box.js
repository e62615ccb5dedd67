/* <gw-bounding-box>: labelled boxes drawn on an image.

In: `labels`, `src` (image URL), `value` (an answer to restore). Out: `value` = {"boxes": [{"label",
"left", "top", "width", "height"}], "image_size": {"width", "height"}}, whole image pixels
whatever the zoom (null until the image is loaded); `gw-change` after every edit, `gw-submit` on
Enter (detail {value}); `ready` resolves when the image is loaded and measured; `focus()`.

The surface (`data-annotation-surface`) is exactly the displayed image: screen point (x, y) is
image pixel ((x - rect.left) * naturalWidth / rect.width, …).
- Drag on empty image: draw a box with the current label. New boxes are not selected, so keys
  go on setting the next box's label; click a box to select it (Esc, empty image: deselect).
- Drag a box: move it; drag a handle of the selected box: resize it.
- 1–9 or a label button: the selected box's label, or the next box's when none is selected.
- Arrows nudge the selected box 1 px (Shift: 10 px); Delete/Backspace or the button removes it.
  The list under the image names every box and selects it.
- Zoom and pan: drawing-view.js (+ - 0, Ctrl + wheel, Space + drag, middle drag, H).
- Enter submits. Boxes are clamped to the image; boxes without area are dropped.
*/

import { DrawingElement, clamp, dispatch, h, inkOn, isControl, labelButtons, labelColor, pressed } from "./drawing-view.js";

const HANDLES = ["nw", "n", "ne", "e", "se", "s", "sw", "w"];
const REACH = 9; // CSS px from a handle's centre that still takes the handle
const SLOP = 3; // CSS px a press may move and still be a click

class GwBoundingBox extends DrawingElement {
  constructor() {
    super("Image: drag to draw a box, drag a box to move it, its handles to resize it");
    Object.assign(this, { _boxes: [], _selected: -1, _current: 0, _drag: null });
    this._view.surface.setAttribute("data-annotation-surface", "");
    this._layer = h("div", { class: "gwd-layer" });
    this._view.surface.append(this._layer);
  }

  /** Boxes hold label indexes and integer image pixels; the answer names the labels. */
  get value() {
    if (!this._measured) return null;
    const { width, height } = this._view;
    return { boxes: this._boxes.map(({ label, ...b }) => ({ label: this._labels[label], ...b })), image_size: { width, height } };
  }
  set value(value) {
    this._pending = value?.boxes || [];
    if (this._measured) this._restore();
  }

  _build() {
    const v = this._view;
    this._picker = h("div", { class: "gwd-labels", role: "group", "aria-label": "Label" });
    this._delete = h("button", { type: "button", title: "Delete the selected box (Delete)", text: "Delete box", onclick: () => this._remove() });
    this._list = h("ol", { class: "gwd-list", "aria-label": "Boxes" });
    const tools = h("div", { class: "gwd-toolbar", role: "toolbar", "aria-label": "Box tools" }, this._picker, h("span", { class: "gwd-group" }, ...v.controls, this._delete));
    this.append(tools, v.viewport, this._status, this._list);
  }

  _labelsChanged() {
    if (this._picker) labelButtons(this._picker, this._labels, (i) => this._setLabel(i));
  }

  _setUp() {
    if (this._pending) this._restore();
  }

  _onView() {
    this._render();
  }

  _restore() {
    const { width, height } = this._view;
    this._boxes = [];
    for (const b of this._pending) {
      const [x, y] = [+b.left || 0, +b.top || 0];
      const [left, top] = [clamp(Math.round(x), 0, width), clamp(Math.round(y), 0, height)];
      const right = clamp(Math.round(x + (+b.width || 0)), 0, width);
      const bottom = clamp(Math.round(y + (+b.height || 0)), 0, height);
      const label = this._labels.indexOf(b.label);
      if (label >= 0 && right > left && bottom > top) this._boxes.push({ label, left, top, width: right - left, height: bottom - top });
    }
    this._pending = null;
    this._selected = -1;
    if (this._measured) this._render();
  }

  _setLabel(index) {
    if (index >= this._labels.length) return;
    this._current = index;
    if (this._selected < 0) return this._render();
    this._boxes[this._selected].label = index;
    this._changed();
  }

  _select(index) {
    this._selected = index;
    this._render();
  }

  _remove() {
    if (this._selected < 0) return;
    this._boxes.splice(this._selected, 1);
    this._selected = -1;
    this._changed();
  }

  _changed() {
    this._render();
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
      box.left = clamp(box.left + ({ ArrowLeft: -step, ArrowRight: step }[key] || 0), 0, this._view.width - box.width);
      box.top = clamp(box.top + ({ ArrowUp: -step, ArrowDown: step }[key] || 0), 0, this._view.height - box.height);
      this._changed();
    } else return;
    e.preventDefault();
  }

  /** What a press at image point p takes: a handle of the selected box, a box, or nothing. */
  _hit(p) {
    const reach = REACH / this._view.zoom;
    const selected = this._boxes[this._selected];
    const handle = selected && HANDLES.find((name) => {
      const c = this._handlePoint(selected, name);
      return Math.abs(c.x - p.x) <= reach && Math.abs(c.y - p.y) <= reach;
    });
    if (handle) return { box: this._selected, handle };
    let best = -1;
    const area = (b) => b.width * b.height;
    this._boxes.forEach((b, i) => {
      const inside = p.x >= b.left && p.x <= b.left + b.width && p.y >= b.top && p.y <= b.top + b.height;
      // The smallest box under the point wins, so a box inside another stays reachable.
      if (inside && (best < 0 || area(b) < area(this._boxes[best]))) best = i;
    });
    return { box: best };
  }

  _handlePoint(b, name) {
    const along = (low, size, before, after) => (name.includes(before) ? low : name.includes(after) ? low + size : low + size / 2);
    return { x: along(b.left, b.width, "w", "e"), y: along(b.top, b.height, "n", "s") };
  }

  _onPointer(e) {
    const drag = this._drag;
    if (!this._measured) return;
    const p = this._view.toImage(e);
    if (e.type === "pointerdown") {
      if (e.button !== 0 || drag) return;
      e.preventDefault();
      this._view.viewport.focus({ preventScroll: true });
      const hit = this._hit(p);
      this._selected = hit.box;
      const mode = hit.handle ? "resize" : hit.box >= 0 ? "move" : "draw";
      this._drag = { id: e.pointerId, mode, handle: hit.handle, start: p, x: e.clientX, y: e.clientY, original: { ...this._boxes[hit.box] } };
      this._view.surface.setPointerCapture(e.pointerId);
      return this._render();
    }
    if (!drag) {
      const hit = this._hit(p);
      this._view.surface.dataset.cursor = hit.handle || (hit.box >= 0 ? "move" : "draw");
      return;
    }
    if (e.pointerId !== drag.id) return;
    if (e.type === "pointercancel") return this._cancel();
    if (e.type === "pointerup") {
      this._drag = null;
      const drawn = drag.box?.width && drag.box.height && this._boxes.push(drag.box);
      return (drag.mode === "draw" ? drawn : drag.moved) ? this._changed() : this._render();
    }
    if (!drag.moved && Math.hypot(e.clientX - drag.x, e.clientY - drag.y) < SLOP) return;
    drag.moved = true;
    const { width, height } = this._view;
    const [x, y] = [clamp(Math.round(p.x), 0, width), clamp(Math.round(p.y), 0, height)];
    const o = drag.original;
    if (drag.mode === "draw") {
      const sx = clamp(Math.round(drag.start.x), 0, width);
      const sy = clamp(Math.round(drag.start.y), 0, height);
      drag.box = { label: this._current, left: Math.min(sx, x), top: Math.min(sy, y), width: Math.abs(x - sx), height: Math.abs(y - sy) };
    } else if (drag.mode === "move") {
      const box = this._boxes[this._selected];
      box.left = clamp(Math.round(o.left + p.x - drag.start.x), 0, width - o.width);
      box.top = clamp(Math.round(o.top + p.y - drag.start.y), 0, height - o.height);
    } else {
      let [left, top, right, bottom] = [o.left, o.top, o.left + o.width, o.top + o.height];
      if (drag.handle.includes("w")) left = x;
      if (drag.handle.includes("e")) right = x;
      if (drag.handle.includes("n")) top = y;
      if (drag.handle.includes("s")) bottom = y;
      [left, right] = [Math.min(left, right), Math.max(left, right)];
      [top, bottom] = [Math.min(top, bottom), Math.max(top, bottom)];
      // A resized box keeps at least one pixel: dropping it mid-drag would surprise.
      if (right === left) right < width ? right++ : left--;
      if (bottom === top) bottom < height ? bottom++ : top--;
      Object.assign(this._boxes[this._selected], { left, top, width: right - left, height: bottom - top });
    }
    this._render(true);
  }

  _cancel() {
    const drag = this._drag;
    this._drag = null;
    if (drag?.mode !== "draw") Object.assign(this._boxes[this._selected], drag.original);
    this._render();
  }

  _describe(b) {
    return `${this._labels[b.label]}, ${b.width} × ${b.height} at ${b.left}, ${b.top}`;
  }

  /** Draws the boxes in percent of the image (so they follow the zoom); the list after drags. */
  _render(dragging = false) {
    const { width, height } = this._view;
    if (!width) return;
    const boxes = this._drag?.box ? [...this._boxes, this._drag.box] : this._boxes;
    this._layer.replaceChildren(
      ...boxes.map((b, i) => {
        const color = labelColor(b.label);
        const tag = h("span", { class: "gwd-tag", text: this._labels[b.label] ?? "" });
        Object.assign(tag.style, { background: color, color: inkOn(color) });
        const box = h("div", { class: i === this._selected ? "gwd-box gwd-selected" : "gwd-box" }, tag);
        const percent = (v, of) => `${(v / of) * 100}%`;
        Object.assign(box.style, { left: percent(b.left, width), top: percent(b.top, height), width: percent(b.width, width), height: percent(b.height, height), color });
        if (i === this._selected) box.append(...HANDLES.map((name) => h("span", { class: `gwd-handle gwd-${name}` })));
        return box;
      }),
    );
    this._delete.toggleAttribute("disabled", this._selected < 0);
    pressed(this._picker.children, (_, i) => i === (this._selected >= 0 ? this._boxes[this._selected].label : this._current));
    const n = this._boxes.length;
    this._status.textContent = this._selected >= 0
      ? `Box ${this._selected + 1} of ${n} selected: ${this._describe(this._boxes[this._selected])}.`
      : `${n} ${n === 1 ? "box" : "boxes"}. Drag on the image to draw a box labelled ${this._labels[this._current] ?? ""}.`;
    if (dragging) return;
    this._list.replaceChildren(
      ...this._boxes.map((b, i) => h("li", {}, h("button", { type: "button", "aria-pressed": String(i === this._selected), text: this._describe(b), onclick: () => this._select(i) }))),
    );
  }
}

if (!customElements.get("gw-bounding-box")) customElements.define("gw-bounding-box", GwBoundingBox);
