/* <gw-bounding-box>: draw labelled boxes on an image.

Properties in: `labels` (strings), `src` (the image URL), `value` (an answer to restore).
Out: `value` = {"boxes": [{"label", "left", "top", "width", "height"}], "image_size": {"width",
"height"}} in whole image pixels whatever the zoom (null until the image is loaded); events
`gw-change` after every edit and `gw-submit` on Enter, both with `detail: {value}`; `ready`
resolves once the image is loaded and measured; `focus()` focuses the image.

Interaction (the image is the element with `data-annotation-surface`, exactly the displayed
image, so screen point (x, y) is image pixel ((x - rect.left) * naturalWidth / rect.width, …)):
- Drag on empty image: draw a box with the current label. A new box is not selected, so the
  keys below set the label of the next box; click a box to select it (Esc or a click on empty
  image deselects).
- Drag a box: move it; drag a handle of the selected box: resize it (edges may cross).
- `1`–`9`, or a label button: the selected box's label, or the next box's label when none is.
- Arrow keys: nudge the selected box 1 px (Shift: 10 px). Delete/Backspace or the Delete
  button: remove it. Boxes are also listed below the image; a list entry selects its box.
- Zoom and pan: see drawing-view.js (`+`/`-`/`0`, Ctrl + wheel, Space + drag, middle drag, `H`).
- Enter: submit. Boxes are clamped to the image; boxes of zero width or height are dropped.
*/

import { ZoomView, dispatch, h, inkOn, isControl, isTextTarget, labelColor, linkStyles } from "./drawing-view.js";

const HANDLES = ["nw", "n", "ne", "e", "se", "s", "sw", "w"];
const HANDLE_REACH_PX = 9; // how near (CSS px) a handle's centre a press takes the handle
const CLICK_SLOP_PX = 3; // a press that moves less than this is a click, not a drag

const clamp = (value, low, high) => Math.min(Math.max(value, low), high);

class GwBoundingBox extends HTMLElement {
  constructor() {
    super();
    this._labels = [];
    this._src = "";
    this._boxes = []; // {label: index into labels, left, top, width, height}, integers
    this._selected = -1;
    this._current = 0;
    this._drag = null;
    this._pending = null;
    this._loaded = false;
    this.ready = new Promise((resolve, reject) => {
      this._resolveReady = resolve;
      this._rejectReady = reject;
    });
    this.ready.catch(() => {});
    this._view = new ZoomView({
      label: "Image: drag to draw a box, drag a box to move it, its handles to resize it",
      onView: () => this._loaded && this._render(),
    });
    this._view.surface.setAttribute("data-annotation-surface", "");
    this._layer = h("div", { class: "gwd-layer" });
    this._view.surface.append(this._layer);
  }

  get labels() { return this._labels; }
  set labels(labels) {
    this._labels = Array.isArray(labels) ? labels.map(String) : [];
    if (this._picker) this._buildPicker();
  }

  get src() { return this._src; }
  set src(src) {
    this._src = String(src || "");
    this._loaded = false;
    this._loading = this._view.load(this._src);
    this._loading.catch(() => {});
    if (this.isConnected) this._start();
  }

  get value() {
    if (!this._loaded) return null;
    return {
      boxes: this._boxes.map((b) => ({ label: this._labels[b.label], left: b.left, top: b.top, width: b.width, height: b.height })),
      image_size: { width: this._view.width, height: this._view.height },
    };
  }
  set value(value) {
    this._pending = value && Array.isArray(value.boxes) ? value.boxes : [];
    if (this._loaded) this._restore();
  }

  focus(options) { this._view.viewport.focus(options); }

  connectedCallback() {
    if (!this._built) this._build();
    if (this._src) this._start();
  }

  _build() {
    this._built = true;
    this.classList.add("gwd");
    const v = this._view;
    this._picker = h("div", { class: "gwd-labels", role: "group", "aria-label": "Label" });
    this._deleteButton = h("button", { type: "button", title: "Delete the selected box (Delete)", text: "Delete box", disabled: "", onclick: () => this._deleteSelected() });
    this._status = h("p", { class: "gwd-status", "aria-live": "polite" });
    this._list = h("ol", { class: "gwd-list", "aria-label": "Boxes" });
    this.append(
      h("div", { class: "gwd-toolbar", role: "toolbar", "aria-label": "Box tools" }, this._picker, h("span", { class: "gwd-group" }, ...v.controls, this._deleteButton)),
      v.viewport,
      this._status,
      this._list,
    );
    this._buildPicker();
    this.addEventListener("keydown", (e) => this._onKey(e));
    this.addEventListener("keyup", (e) => v.onKeyUp(e));
    // A mouse click on a button hands focus back to the image, so keys keep working.
    this.addEventListener("click", (e) => e.detail && e.target.closest("button") && v.viewport.focus({ preventScroll: true }));
    const s = v.surface;
    s.addEventListener("pointerdown", (e) => this._onDown(e));
    s.addEventListener("pointermove", (e) => this._onMove(e));
    s.addEventListener("pointerup", (e) => this._onUp(e));
    s.addEventListener("pointercancel", () => this._cancelDrag());
  }

  async _start() {
    const loading = this._loading;
    try {
      await Promise.all([loading, linkStyles()]);
    } catch (error) {
      if (loading !== this._loading) return;
      this._status.textContent = "The image could not be loaded.";
      this._rejectReady(error);
      return;
    }
    if (loading !== this._loading || !this.isConnected) return;
    this._view.layout();
    this._loaded = true;
    if (this._pending) this._restore();
    this._render();
    this._resolveReady();
  }

  _restore() {
    const { width, height } = this._view;
    this._boxes = [];
    for (const box of this._pending || []) {
      const label = this._labels.indexOf(box.label);
      const left = clamp(Math.round(+box.left || 0), 0, width);
      const top = clamp(Math.round(+box.top || 0), 0, height);
      const right = clamp(Math.round((+box.left || 0) + (+box.width || 0)), 0, width);
      const bottom = clamp(Math.round((+box.top || 0) + (+box.height || 0)), 0, height);
      if (label >= 0 && right > left && bottom > top) this._boxes.push({ label, left, top, width: right - left, height: bottom - top });
    }
    this._pending = null;
    this._selected = -1;
    if (this._built) this._render();
  }

  _buildPicker() {
    this._picker.replaceChildren(
      ...this._labels.map((label, i) => {
        const color = labelColor(i);
        const swatch = h("span", { class: "gwd-swatch", "aria-hidden": "true" });
        swatch.style.background = color;
        return h("button", { type: "button", "aria-pressed": "false", title: i < 9 ? `Key ${i + 1}` : label, onclick: () => this._setLabel(i) }, swatch, i < 9 ? `${i + 1} ` : "", label);
      }),
    );
    this._syncPicker();
  }

  _syncPicker() {
    const active = this._selected >= 0 ? this._boxes[this._selected].label : this._current;
    [...this._picker.children].forEach((b, i) => b.setAttribute("aria-pressed", String(i === active)));
  }

  _setLabel(index) {
    if (index >= this._labels.length) return;
    this._current = index;
    if (this._selected >= 0) {
      this._boxes[this._selected].label = index;
      this._changed();
    } else {
      this._render();
    }
  }

  _select(index) {
    this._selected = index;
    this._render();
  }

  _deleteSelected() {
    if (this._selected < 0) return;
    this._boxes.splice(this._selected, 1);
    this._selected = -1;
    this._changed();
  }

  _changed() {
    this._render();
    dispatch(this, "gw-change", this.value);
  }

  _onKey(event) {
    if (isTextTarget(event.target)) return;
    if (this._view.onKey(event)) return;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const key = event.key;
    if (/^[1-9]$/.test(key)) this._setLabel(Number(key) - 1);
    else if (key === "Enter") {
      if (isControl(event.target)) return;
      if (this.value) dispatch(this, "gw-submit", this.value);
    } else if (key === "Escape") {
      if (this._drag) this._cancelDrag();
      else this._select(-1);
    } else if ((key === "Delete" || key === "Backspace") && this._selected >= 0) this._deleteSelected();
    else if (key.startsWith("Arrow") && this._selected >= 0) {
      const step = event.shiftKey ? 10 : 1;
      const box = this._boxes[this._selected];
      const dx = { ArrowLeft: -step, ArrowRight: step }[key] || 0;
      const dy = { ArrowUp: -step, ArrowDown: step }[key] || 0;
      box.left = clamp(box.left + dx, 0, this._view.width - box.width);
      box.top = clamp(box.top + dy, 0, this._view.height - box.height);
      this._changed();
    } else return;
    event.preventDefault();
  }

  /** What a press at image point p takes: a handle of the selected box, a box, or nothing. */
  _hit(p) {
    const reach = HANDLE_REACH_PX / this._view.zoom;
    if (this._selected >= 0) {
      const handle = HANDLES.find((name) => {
        const c = this._handlePoint(this._boxes[this._selected], name);
        return Math.abs(c.x - p.x) <= reach && Math.abs(c.y - p.y) <= reach;
      });
      if (handle) return { box: this._selected, handle };
    }
    let best = -1;
    this._boxes.forEach((b, i) => {
      const inside = p.x >= b.left && p.x <= b.left + b.width && p.y >= b.top && p.y <= b.top + b.height;
      // The smallest box under the point wins, so a box inside another stays reachable.
      if (inside && (best < 0 || b.width * b.height < this._boxes[best].width * this._boxes[best].height)) best = i;
    });
    return { box: best, handle: null };
  }

  _handlePoint(b, name) {
    const x = name.includes("w") ? b.left : name.includes("e") ? b.left + b.width : b.left + b.width / 2;
    const y = name.includes("n") ? b.top : name.includes("s") ? b.top + b.height : b.top + b.height / 2;
    return { x, y };
  }

  _onDown(event) {
    if (event.button !== 0 || !this._loaded || this._drag) return;
    event.preventDefault();
    this._view.viewport.focus({ preventScroll: true });
    const p = this._view.toImage(event);
    const hit = this._hit(p);
    const mode = hit.handle ? "resize" : hit.box >= 0 ? "move" : "draw";
    if (mode !== "draw") this._selected = hit.box;
    else this._selected = -1;
    this._drag = {
      id: event.pointerId, mode, handle: hit.handle, start: p, x: event.clientX, y: event.clientY, moved: false,
      original: hit.box >= 0 ? { ...this._boxes[hit.box] } : null, box: null,
    };
    this._view.surface.setPointerCapture(event.pointerId);
    this._render();
  }

  _onMove(event) {
    const drag = this._drag;
    const p = this._view.toImage(event);
    if (!drag) {
      const hit = this._hit(p);
      this._view.surface.dataset.cursor = hit.handle || (hit.box >= 0 ? "move" : "draw");
      return;
    }
    if (event.pointerId !== drag.id) return;
    if (!drag.moved && Math.hypot(event.clientX - drag.x, event.clientY - drag.y) < CLICK_SLOP_PX) return;
    drag.moved = true;
    const { width, height } = this._view;
    const x = clamp(Math.round(p.x), 0, width);
    const y = clamp(Math.round(p.y), 0, height);
    if (drag.mode === "draw") {
      const sx = clamp(Math.round(drag.start.x), 0, width);
      const sy = clamp(Math.round(drag.start.y), 0, height);
      drag.box = { label: this._current, left: Math.min(sx, x), top: Math.min(sy, y), width: Math.abs(x - sx), height: Math.abs(y - sy) };
    } else if (drag.mode === "move") {
      const o = drag.original;
      const box = this._boxes[this._selected];
      box.left = clamp(Math.round(o.left + p.x - drag.start.x), 0, width - o.width);
      box.top = clamp(Math.round(o.top + p.y - drag.start.y), 0, height - o.height);
    } else {
      const o = drag.original;
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

  _onUp(event) {
    const drag = this._drag;
    if (!drag || event.pointerId !== drag.id) return;
    this._drag = null;
    if (drag.mode === "draw") {
      if (drag.box && drag.box.width >= 1 && drag.box.height >= 1) {
        this._boxes.push(drag.box);
        this._changed();
      } else this._render();
    } else if (drag.moved) this._changed();
    else this._render();
  }

  _cancelDrag() {
    const drag = this._drag;
    if (!drag) return;
    this._drag = null;
    if (drag.original && drag.mode !== "draw") Object.assign(this._boxes[this._selected], drag.original);
    this._render();
  }

  _describe(b) {
    return `${this._labels[b.label]}, ${b.width} × ${b.height} at ${b.left}, ${b.top}`;
  }

  /** Draws the boxes; `dragging` skips the list, which only changes when a drag ends. */
  _render(dragging = false) {
    const { width, height } = this._view;
    if (!width) return;
    const boxes = this._drag && this._drag.box ? [...this._boxes, this._drag.box] : this._boxes;
    this._layer.replaceChildren(
      ...boxes.map((b, i) => {
        const color = labelColor(b.label);
        const tag = h("span", { class: "gwd-tag", text: this._labels[b.label] ?? "" });
        tag.style.background = color;
        tag.style.color = inkOn(color);
        const box = h("div", { class: i === this._selected ? "gwd-box gwd-selected" : "gwd-box" }, tag);
        Object.assign(box.style, {
          left: `${(b.left / width) * 100}%`, top: `${(b.top / height) * 100}%`,
          width: `${(b.width / width) * 100}%`, height: `${(b.height / height) * 100}%`,
          borderColor: color, color,
        });
        if (i === this._selected) box.append(...HANDLES.map((name) => h("span", { class: `gwd-handle gwd-${name}` })));
        return box;
      }),
    );
    this._deleteButton.toggleAttribute("disabled", this._selected < 0);
    this._syncPicker();
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
