/* <gw-semantic-segmentation>: a class mask painted over an image.
In: `labels` (unpainted and erased pixels are 0, labels[0]), `src`, `value`, `initialValue` (a
mask to start from: an adjustment). Out: `value` =
{"mask": "<base64 8-bit greyscale PNG of the image's size, a label index per pixel>"} (null
until loaded); `gw-change` after each stroke, fill, undo and redo; `gw-submit` on Enter.
The truth is a Uint8Array, a class per image pixel; the canvas (image's natural size,
`data-annotation-surface`) only shows it. A pixel is painted when its centre is inside the brush
or polygon: no antialiasing. The image's own pixels are never read.
- B brush, E eraser (paints labels[0]), P polygon: click the corners; Enter, a double click or a
  click on the first corner fills it; Backspace drops the last corner, Esc the polygon.
- [ and ] brush size; 1–9 or the legend: the label painted (leaving the eraser for the brush).
- Ctrl/⌘+Z undo, Ctrl/⌘+Shift+Z or Ctrl/⌘+Y redo; the opacity slider shows the image through.
- Zoom and pan: drawing-view.js. Enter submits (when no polygon is open).
- With an `initialValue`, Reset goes back to that mask (clearing undo).
*/

import { DrawingElement, button, clamp, dispatch, h, isControl, labelButtons, labelColor, pressed, rgbOf } from "./drawing-view.js";
import { decodeMaskPng, encodeMaskPng } from "./mask-png.js";
import { withInitialValue } from "./shared.js";

const CLOSE_REACH = 8; // CSS px from the first corner that closes the polygon
const UNDO_BYTES = 64 << 20;

/** A decoded mask's pixels at `width` x `height`: as they are, or the nearest pixel's. */
function scaledMask({ width: w, height: h, pixels }, width, height) {
  if (w === width && h === height) return pixels;
  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const row = Math.min(h - 1, Math.floor(((y + 0.5) * h) / height)) * w;
    for (let x = 0; x < width; x++) out[y * width + x] = pixels[row + Math.min(w - 1, Math.floor(((x + 0.5) * w) / width))];
  }
  return out;
}

function svg(tag, attributes) {
  const element = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  return element;
}

class GwSemanticSegmentation extends withInitialValue(DrawingElement, "The mask to start from could not be read.") {
  constructor() {
    super("Image: paint the mask with the current tool");
    Object.assign(this, { _tool: "brush", _size: 20, _points: [], _undo: [], _redo: [] });
    this._canvas = h("canvas", { class: "gwd-mask", "data-annotation-surface": "" });
    this._overlay = svg("svg", { class: "gwd-overlay", preserveAspectRatio: "none", "aria-hidden": "true" });
    this._view.surface.append(this._canvas, this._overlay);
    this._labelsChanged();
  }

  get value() {
    if (!this._measured) return null;
    this._encoded ??= encodeMaskPng(this._mask, this._view.width, this._view.height);
    return { mask: this._encoded };
  }
  set value(value) {
    this._pending = typeof value?.mask === "string" ? value.mask : null;
    this._pendingLabels = Array.isArray(value?.labels) ? value.labels.map(String) : null;
    if (this._measured) this._restore();
  }

  /* `initialValue` (shared.js withInitialValue): the mask to start from (an adjustment task's
   * existing mask): `{"mask", "labels"?}`, where `labels` names the class of each pixel value when
   * it differs from the task's (they are matched by name; unknown classes become labels[0]); a
   * mask of another size is scaled to the image's (nearest pixel). Also the `initial-value`
   * attribute (JSON). A draft `value` set after it wins. Undo starts from it. */
  _labelsChanged() {
    this._label = this._labels.length > 1 ? 1 : 0;
    // ImageData bytes are RGBA: as little-endian 32-bit words, ABGR. Class 0 stays clear.
    this._colours = Uint32Array.from({ length: 256 }, (_, i) => {
      const [r, g, b] = rgbOf(labelColor(i));
      return i && i < this._labels.length ? (255 << 24) | (b << 16) | (g << 8) | r : 0;
    });
    if (!this._legend) return;
    labelButtons(this._legend, this._labels, (i) => this._setLabel(i));
    this._legend.firstChild?.firstChild.classList.add("gwd-none");
    this._update();
  }

  _build() {
    const v = this._view;
    const tool = (name, text, key) => Object.assign(button(text, `${text} (${key})`, () => this._setTool(name)), { tool: name });
    this._tools = [tool("brush", "Brush", "B"), tool("eraser", "Eraser", "E"), tool("polygon", "Polygon", "P")];
    this._sizeInput = h("input", { type: "range", min: "1", max: "100", oninput: () => this._setSize(this._sizeInput.value) });
    this._sizeText = h("output");
    const opacity = h("input", { type: "range", min: "0", max: "100", value: "60", oninput: () => (this._canvas.style.opacity = opacity.value / 100) });
    this._canvas.style.opacity = "0.6";
    this._undoButton = button("Undo", "Undo (Ctrl+Z)", () => this._history());
    this._redoButton = button("Redo", "Redo (Ctrl+Shift+Z)", () => this._history(true));
    // Back to the mask an adjustment started from (shown only when there is one).
    this._reset = button("Reset", "Back to the mask the task started with", () => this._resetToInitial(), "Reset to the starting mask");
    this._reset.hidden = !this._initial;
    this._legend = h("div", { class: "gwd-labels", role: "group", "aria-label": "Label to paint" });
    const group = (...children) => h("span", { class: "gwd-group" }, ...children);
    this.append(
      h("div", { class: "gwd-toolbar", role: "toolbar", "aria-label": "Mask tools" },
        group(...this._tools),
        group(h("label", {}, "Brush size", this._sizeInput, this._sizeText), h("label", {}, "Opacity", opacity)),
        group(this._undoButton, this._redoButton, this._reset),
        group(...v.controls)),
      this._legend, v.viewport, this._status,
    );
    this._setSize(this._size);
    v.surface.addEventListener("pointerleave", () => this._drawOverlay((this._hover = null)));
    v.surface.addEventListener("dblclick", () => this._closePolygon());
  }

  async _setUp() {
    const { width, height } = this._view;
    Object.assign(this._canvas, { width, height });
    this._overlay.setAttribute("viewBox", `0 0 ${width} ${height}`);
    this._context = this._canvas.getContext("2d");
    this._image = this._context.createImageData(width, height);
    this._pixels = new Uint32Array(this._image.data.buffer);
    this._mask = new Uint8Array(width * height);
    this._shadow = new Uint8Array(width * height); // the mask as of the last undo record
    this._encoded = null;
    this._sizeInput.max = String(Math.max(100, Math.round(Math.max(width, height) / 8)));
    if (this._pending) await this._restore();
    this._update();
  }

  _onView() {
    this._drawOverlay();
  }

  async _restore() {
    const pending = this._pending;
    const named = this._pendingLabels;
    this._pending = this._pendingLabels = null;
    try {
      const decoded = await decodeMaskPng(pending);
      const { width, height } = this._view;
      const lookup = Uint8Array.from({ length: 256 }, (_, p) => {
        const index = named ? this._labels.indexOf(named[p]) : p;
        return index >= 0 && index < this._labels.length ? index : 0;
      });
      const pixels = scaledMask(decoded, width, height);
      this._mask.set(pixels.map((p) => lookup[p]));
      this._shadow.set(this._mask);
      this._undo = [];
      this._redo = [];
      this._dirty(0, height - 1);
      this._recordRows = null;
    } catch (error) {
      this._status.textContent = `The saved mask could not be restored (${error.message}).`;
    }
  }

  async _resetToInitial() {
    if (!this._initial || !this._measured) return;
    this._pending = this._initial.mask;
    this._pendingLabels = Array.isArray(this._initial.labels) ? this._initial.labels.map(String) : null;
    await this._restore();
    this._changed();
  }

  _setLabel(index) {
    if (index >= this._labels.length) return;
    this._label = index;
    if (this._tool === "eraser") this._tool = "brush";
    this._update();
  }

  _setTool(tool) {
    this._tool = tool;
    this._points = [];
    this._update();
  }

  _setSize(size) {
    this._size = clamp(Math.round(size), 1, this._sizeInput.max);
    this._sizeInput.value = this._size;
    this._update();
  }

  _update() {
    if (!this._legend) return;
    pressed(this._tools, (b) => b.tool === this._tool);
    pressed(this._legend.children, (_, i) => i === this._label && this._tool !== "eraser");
    this._sizeText.textContent = this._size;
    this._undoButton.toggleAttribute("disabled", !this._undo.length);
    this._redoButton.toggleAttribute("disabled", !this._redo.length);
    const label = this._labels[this._label] ?? "";
    const corners = this._points.length;
    this._status.textContent = {
      brush: `Brush, ${this._size} px: painting ${label}.`,
      eraser: `Eraser, ${this._size} px: back to ${this._labels[0] ?? ""}.`,
      polygon: `Polygon of ${label}: ${corners ? `${corners} corners; Enter or the first corner fills it.` : "click its corners."}`,
    }[this._tool];
    this._drawOverlay();
  }

  _onKey(e) {
    const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
    if ((e.ctrlKey || e.metaKey) && (key === "z" || key === "y")) this._history(key === "y" || e.shiftKey);
    else if (this._view.onKey(e) || e.ctrlKey || e.metaKey || e.altKey) return;
    else if (/^[1-9]$/.test(key)) this._setLabel(key - 1);
    else if ({ b: 1, e: 1, p: 1 }[key]) this._setTool({ b: "brush", e: "eraser", p: "polygon" }[key]);
    else if (key === "[" || key === "]") this._setSize(key === "]" ? this._size * 1.25 + 1 : this._size * 0.8 - 1);
    else if (key === "Escape" && this._points.length) this._setTool("polygon");
    else if (key === "Backspace" && this._points.length) this._update(this._points.pop());
    else if (key === "Enter") {
      if (isControl(e.target)) return;
      if (this._points.length) this._closePolygon();
      else if (this.value) dispatch(this, "gw-submit", this.value);
    } else return;
    e.preventDefault();
  }

  _onPointer(e) {
    const stroke = this._stroke;
    const p = this._view.toImage(e);
    if (e.type === "pointerdown") {
      if (e.button !== 0 || !this._measured || stroke) return;
      e.preventDefault();
      this._view.viewport.focus({ preventScroll: true });
      this._view.surface.setPointerCapture(e.pointerId);
      const value = this._tool === "eraser" ? 0 : this._label;
      this._stroke = { id: e.pointerId, value, last: p, polygon: this._tool === "polygon" };
      if (this._tool !== "polygon") this._paintSegment(p, p, value);
    } else if (e.type === "pointermove") {
      this._hover = p;
      if (stroke && e.pointerId === stroke.id && !stroke.polygon) {
        for (const c of e.getCoalescedEvents?.() || [e]) {
          const q = this._view.toImage(c);
          this._paintSegment(stroke.last, q, stroke.value);
          stroke.last = q;
        }
      }
      this._drawOverlay();
    } else if (stroke && e.pointerId === stroke.id) {
      this._stroke = null;
      if (!stroke.polygon) return this._record();
      if (e.type !== "pointerup") return;
      const { width, height, zoom } = this._view;
      const first = this._points[0];
      if (this._points.length >= 3 && Math.hypot(first.x - p.x, first.y - p.y) * zoom <= CLOSE_REACH) return this._closePolygon();
      this._points.push({ x: clamp(p.x, 0, width), y: clamp(p.y, 0, height) });
      this._update();
    }
  }

  _closePolygon() {
    const points = this._points;
    if (!points.length) return;
    const [a, b] = points.slice(-2);
    // The two clicks of a double click add one corner twice.
    if (b && Math.hypot(a.x - b.x, a.y - b.y) * this._view.zoom < 4) points.pop();
    if (points.length >= 3) {
      this._fillPolygon(points, this._label);
      this._record();
    }
    this._setTool("polygon");
  }

  /** Paints every pixel whose centre is within the brush's radius of segment a-b. */
  _paintSegment(a, b, value) {
    const { width, height } = this._view;
    const radius = Math.max(this._size / 2, 0.71);
    const [x0, x1] = [clamp(Math.floor(Math.min(a.x, b.x) - radius), 0, width), clamp(Math.ceil(Math.max(a.x, b.x) + radius), -1, width - 1)];
    const [y0, y1] = [clamp(Math.floor(Math.min(a.y, b.y) - radius), 0, height), clamp(Math.ceil(Math.max(a.y, b.y) + radius), -1, height - 1)];
    if (x0 > x1 || y0 > y1) return;
    const [dx, dy] = [b.x - a.x, b.y - a.y];
    const length2 = dx * dx + dy * dy;
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const [cx, cy] = [x + 0.5, y + 0.5];
        const t = length2 ? Math.min(1, Math.max(0, ((cx - a.x) * dx + (cy - a.y) * dy) / length2)) : 0;
        const [ex, ey] = [a.x + t * dx - cx, a.y + t * dy - cy];
        if (ex * ex + ey * ey <= radius * radius) this._mask[y * width + x] = value;
      }
    }
    this._dirty(y0, y1);
  }

  /** Fills the pixels whose centres are inside the polygon (even-odd rule), row by row. */
  _fillPolygon(points, value) {
    const { width, height } = this._view;
    const ys = points.map((p) => p.y);
    const y0 = Math.max(0, Math.floor(Math.min(...ys)));
    const y1 = Math.min(height - 1, Math.ceil(Math.max(...ys)));
    for (let y = y0; y <= y1; y++) {
      const cy = y + 0.5;
      const crossings = [];
      points.forEach((p, i) => {
        const q = points[(i + 1) % points.length];
        if (p.y > cy !== q.y > cy) crossings.push(p.x + ((cy - p.y) * (q.x - p.x)) / (q.y - p.y));
      });
      crossings.sort((m, n) => m - n);
      for (let k = 0; k + 1 < crossings.length; k += 2) {
        const from = Math.max(0, Math.ceil(crossings[k] - 0.5));
        const to = Math.min(width, Math.ceil(crossings[k + 1] - 0.5));
        if (from < to) this._mask.fill(value, y * width + from, y * width + to);
      }
    }
    this._dirty(y0, y1);
  }

  /** Marks rows y0..y1 changed, for the next frame and undo record (whole rows: simple). */
  _dirty(y0, y1) {
    const grow = (rows) => [Math.min(rows?.[0] ?? y0, y0), Math.max(rows?.[1] ?? y1, y1)];
    this._paintRows = grow(this._paintRows);
    this._recordRows = grow(this._recordRows);
    this._encoded = null;
    this._frame ||= requestAnimationFrame(() => this._paint());
  }

  _paint() {
    const [y0, y1] = this._paintRows;
    const width = this._view.width;
    this._frame = this._paintRows = null;
    for (let i = y0 * width; i < (y1 + 1) * width; i++) this._pixels[i] = this._colours[this._mask[i]];
    this._context.putImageData(this._image, 0, 0, 0, y0, width, y1 - y0 + 1);
  }

  /** Ends an edit: keeps its rows before and after, for undo and redo. */
  _record() {
    const rows = this._recordRows;
    this._recordRows = null;
    if (!rows) return;
    const [from, to] = [rows[0] * this._view.width, (rows[1] + 1) * this._view.width];
    const before = this._shadow.slice(from, to);
    const after = this._mask.slice(from, to);
    if (before.every((b, i) => b === after[i])) return;
    this._shadow.set(after, from);
    this._undo.push({ rows, from, before, after });
    this._redo = [];
    let bytes = this._undo.reduce((n, edit) => n + 2 * edit.before.length, 0);
    while (bytes > UNDO_BYTES && this._undo.length > 1) bytes -= 2 * this._undo.shift().before.length;
    this._changed();
  }

  _history(redo) {
    const [from, to] = redo ? [this._redo, this._undo] : [this._undo, this._redo];
    if (this._stroke || !from.length) return;
    const edit = from.pop();
    const pixels = redo ? edit.after : edit.before;
    this._mask.set(pixels, edit.from);
    this._shadow.set(pixels, edit.from);
    to.push(edit);
    this._dirty(...edit.rows);
    this._recordRows = null;
    this._changed();
  }

  _changed() {
    this._update();
    dispatch(this, "gw-change", this.value);
  }

  _drawOverlay() {
    if (!this._measured) return;
    const parts = [];
    const hover = this._hover;
    const points = this._points;
    const outlined = (tag, attributes) => ["gwd-outline", ""].map((name) => svg(tag, { ...attributes, class: name }));
    if (points.length) {
      const line = [...points, ...(hover ? [hover] : [])].map((p) => `${p.x},${p.y}`).join(" ");
      parts.push(...outlined("polyline", { points: line }), svg("circle", { class: "gwd-first", cx: points[0].x, cy: points[0].y, r: 5 / this._view.zoom }));
    } else if (this._tool !== "polygon" && hover) parts.push(...outlined("circle", { cx: hover.x, cy: hover.y, r: Math.max(this._size / 2, 1 / this._view.zoom) }));
    this._overlay.replaceChildren(...parts);
  }
}

if (!customElements.get("gw-semantic-segmentation")) customElements.define("gw-semantic-segmentation", GwSemanticSegmentation);
