/* <gw-semantic-segmentation>: paint a class mask over an image.

Properties in: `labels` (strings; index 0 is what unpainted and erased pixels hold), `src`,
`value` (an answer to restore). Out: `value` = {"mask": "<base64 PNG>"}, an 8-bit greyscale PNG
of the image's natural size whose pixels are label indexes (null until the image is loaded);
`gw-change` after every stroke, fill, undo, redo or clear, `gw-submit` on Enter, both with
`detail: {value}`; `ready` resolves once the image is loaded and measured; `focus()`.

The truth is a Uint8Array of class indexes, one per image pixel; the canvas (which carries
`data-annotation-surface`, has the image's natural size as its pixel size and is exactly the
displayed image) only shows it, one colour per label. A pixel is painted when its centre lies
inside the brush or polygon: no antialiasing, one class per pixel. The image's own pixels are
never read.

Tools and keys (focus on the image; zoom and pan as in drawing-view.js):
- `B` brush, `E` eraser (paints labels[0]), `P` polygon: click its corners, close it with
  Enter, a double click or a click on the first corner; Backspace drops the last corner, Esc
  drops the polygon. `[` and `]` make the brush smaller or larger.
- `1`–`9` or the legend: the label painted (picking one leaves the eraser for the brush).
- Ctrl/⌘+Z undo, Ctrl/⌘+Shift+Z or Ctrl/⌘+Y redo; the opacity slider shows the image through.
- Enter submits (when no polygon is open).
*/

import { ZoomView, dispatch, h, isControl, isTextTarget, labelColor, linkStyles, rgbOf } from "./drawing-view.js";
import { decodeMaskPng, encodeMaskPng } from "./mask-png.js";

const SVG = "http://www.w3.org/2000/svg";
const CLOSE_REACH_PX = 8; // a click this near (CSS px) the first corner closes the polygon
const UNDO_BYTES = 64 * 1024 * 1024;
const svg = (tag) => document.createElementNS(SVG, tag);

class GwSemanticSegmentation extends HTMLElement {
  constructor() {
    super();
    this._labels = [];
    this._src = "";
    this._label = 1;
    this._tool = "brush";
    this._size = 20;
    this._points = [];
    this._undo = [];
    this._redo = [];
    this._pending = null;
    this.labels = [];
    this.ready = new Promise((resolve, reject) => {
      this._resolveReady = resolve;
      this._rejectReady = reject;
    });
    this.ready.catch(() => {});
    this._view = new ZoomView({ label: "Image: paint the mask with the current tool", onView: () => this._drawOverlay() });
    this._canvas = h("canvas", { class: "gwd-mask", "data-annotation-surface": "" });
    this._overlay = svg("svg");
    this._overlay.setAttribute("class", "gwd-overlay");
    this._overlay.setAttribute("preserveAspectRatio", "none");
    this._overlay.setAttribute("aria-hidden", "true");
    this._view.surface.append(this._canvas, this._overlay);
  }

  get labels() { return this._labels; }
  set labels(labels) {
    this._labels = Array.isArray(labels) ? labels.map(String) : [];
    this._label = this._labels.length > 1 ? 1 : 0;
    this._colours = new Uint32Array(256);
    this._labels.forEach((_, i) => {
      const [r, g, b] = rgbOf(labelColor(i));
      // ImageData is RGBA bytes; read as little-endian 32-bit words that is ABGR. Class 0 stays clear.
      if (i) this._colours[i] = (255 << 24) | (b << 16) | (g << 8) | r;
    });
    if (this._legend) this._buildLegend();
  }

  get src() { return this._src; }
  set src(src) {
    this._src = String(src || "");
    this._mask = null;
    this._loading = this._view.load(this._src);
    this._loading.catch(() => {});
    if (this.isConnected) this._start();
  }

  get value() {
    if (!this._mask) return null;
    this._encoded ??= encodeMaskPng(this._mask, this._view.width, this._view.height);
    return { mask: this._encoded };
  }
  set value(value) {
    this._pending = value && typeof value.mask === "string" ? value.mask : null;
    if (this._mask) this._restore();
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
    const tool = (name, text, key) => h("button", { type: "button", "aria-pressed": "false", "data-tool": name, title: `${text} (${key})`, text, onclick: () => this._setTool(name) });
    this._tools = [tool("brush", "Brush", "B"), tool("eraser", "Eraser", "E"), tool("polygon", "Polygon", "P")];
    this._sizeInput = h("input", { type: "range", min: "1", max: "100", value: String(this._size) });
    this._sizeText = h("output", { text: String(this._size) });
    this._sizeInput.addEventListener("input", () => this._setSize(Number(this._sizeInput.value)));
    const opacity = h("input", { type: "range", min: "0", max: "100", value: "60" });
    opacity.addEventListener("input", () => { this._canvas.style.opacity = String(opacity.value / 100); });
    this._canvas.style.opacity = "0.6";
    this._undoButton = h("button", { type: "button", title: "Undo (Ctrl+Z)", text: "Undo", onclick: () => this._history(this._undo, this._redo, "before") });
    this._redoButton = h("button", { type: "button", title: "Redo (Ctrl+Shift+Z)", text: "Redo", onclick: () => this._history(this._redo, this._undo, "after") });
    this._legend = h("div", { class: "gwd-labels", role: "group", "aria-label": "Label to paint" });
    this._status = h("p", { class: "gwd-status", "aria-live": "polite" });
    this.append(
      h("div", { class: "gwd-toolbar", role: "toolbar", "aria-label": "Mask tools" },
        h("span", { class: "gwd-group" }, ...this._tools),
        h("span", { class: "gwd-group" }, h("label", {}, "Brush size", this._sizeInput, this._sizeText), h("label", {}, "Opacity", opacity)),
        h("span", { class: "gwd-group" }, this._undoButton, this._redoButton,
          h("button", { type: "button", title: "Set every pixel to the first label", text: "Clear", onclick: () => this._clear() })),
        h("span", { class: "gwd-group" }, ...v.controls)),
      this._legend,
      v.viewport,
      this._status,
    );
    this._buildLegend();
    this._setTool(this._tool);
    this.addEventListener("keydown", (e) => this._onKey(e));
    this.addEventListener("keyup", (e) => v.onKeyUp(e));
    // A mouse click on a control hands focus back to the image, so keys keep working.
    this.addEventListener("click", (e) => e.detail && e.target.closest("button") && v.viewport.focus({ preventScroll: true }));
    this.addEventListener("pointerup", (e) => e.target.type === "range" && v.viewport.focus({ preventScroll: true }));
    const s = v.surface;
    s.addEventListener("pointerdown", (e) => this._onDown(e));
    s.addEventListener("pointermove", (e) => this._onMove(e));
    s.addEventListener("pointerup", (e) => this._onUp(e));
    s.addEventListener("pointercancel", (e) => this._onUp(e));
    s.addEventListener("pointerleave", () => { this._hover = null; this._drawOverlay(); });
    s.addEventListener("dblclick", () => this._closePolygon());
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
    const { width, height } = this._view;
    this._canvas.width = width;
    this._canvas.height = height;
    this._overlay.setAttribute("viewBox", `0 0 ${width} ${height}`);
    this._context = this._canvas.getContext("2d");
    this._image = this._context.createImageData(width, height);
    this._pixels = new Uint32Array(this._image.data.buffer);
    this._mask = new Uint8Array(width * height);
    this._shadow = new Uint8Array(width * height); // the mask as of the last undo record
    this._sizeInput.max = String(Math.max(100, Math.round(Math.max(width, height) / 8)));
    this._view.layout();
    if (this._pending) await this._restore();
    this._update();
    this._resolveReady();
  }

  async _restore() {
    const pending = this._pending;
    this._pending = null;
    try {
      const { width, height, pixels } = await decodeMaskPng(pending);
      if (width !== this._view.width || height !== this._view.height) throw new Error("the mask's size is not the image's");
      for (let i = 0; i < pixels.length; i++) if (pixels[i] >= this._labels.length) pixels[i] = 0;
      this._mask.set(pixels);
      this._shadow.set(pixels);
      this._undo = [];
      this._redo = [];
      this._encoded = null;
      this._dirtyAll();
    } catch (error) {
      this._status.textContent = `The saved mask could not be restored (${error.message}).`;
    }
  }

  _buildLegend() {
    this._legend.replaceChildren(
      ...this._labels.map((label, i) => {
        const swatch = h("span", { class: i ? "gwd-swatch" : "gwd-swatch gwd-none", "aria-hidden": "true" });
        swatch.style.background = labelColor(i);
        return h("button", { type: "button", "aria-pressed": "false", title: i < 9 ? `Key ${i + 1}` : label, onclick: () => this._setLabel(i) }, swatch, i < 9 ? `${i + 1} ` : "", label);
      }),
    );
    this._update();
  }

  _setLabel(index) {
    if (index >= this._labels.length) return;
    this._label = index;
    if (this._tool === "eraser") this._tool = "brush";
    this._update();
  }

  _setTool(tool) {
    this._tool = tool;
    if (tool !== "polygon") this._points = [];
    this._update();
  }

  _setSize(size) {
    this._size = Math.min(Math.max(1, Math.round(size)), Number(this._sizeInput.max));
    this._sizeInput.value = String(this._size);
    this._update();
  }

  _update() {
    if (!this._built) return;
    this._tools.forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.tool === this._tool)));
    [...this._legend.children].forEach((b, i) => b.setAttribute("aria-pressed", String(i === this._label && this._tool !== "eraser")));
    this._sizeText.textContent = String(this._size);
    this._undoButton.toggleAttribute("disabled", !this._undo.length);
    this._redoButton.toggleAttribute("disabled", !this._redo.length);
    const label = this._labels[this._label] ?? "";
    this._status.textContent = {
      brush: `Brush, ${this._size} px: painting ${label}.`,
      eraser: `Eraser, ${this._size} px: back to ${this._labels[0] ?? ""}.`,
      polygon: this._points.length
        ? `Polygon of ${label}: ${this._points.length} corners; Enter, a double click or the first corner closes it.`
        : `Polygon of ${label}: click its corners.`,
    }[this._tool];
    this._drawOverlay();
  }

  _onKey(event) {
    if (isTextTarget(event.target) && event.target.type !== "range") return;
    const key = event.key;
    const command = event.ctrlKey || event.metaKey;
    if (command && !event.altKey && (key === "z" || key === "Z" || key === "y" || key === "Y")) {
      const redo = key === "y" || key === "Y" || event.shiftKey;
      if (redo) this._history(this._redo, this._undo, "after");
      else this._history(this._undo, this._redo, "before");
      event.preventDefault();
      return;
    }
    if (this._view.onKey(event) || command || event.altKey) return;
    const lower = key.toLowerCase();
    if (/^[1-9]$/.test(key)) this._setLabel(Number(key) - 1);
    else if (lower === "b") this._setTool("brush");
    else if (lower === "e") this._setTool("eraser");
    else if (lower === "p") this._setTool("polygon");
    else if (key === "[" || key === "]") this._setSize(this._size * (key === "]" ? 1.25 : 0.8) + (key === "]" ? 1 : -1));
    else if (key === "Escape" && this._points.length) this._setTool("polygon");
    else if (key === "Backspace" && this._points.length) {
      this._points.pop();
      this._update();
    } else if (key === "Enter") {
      if (isControl(event.target) && event.target.type !== "range") return;
      if (this._points.length) this._closePolygon();
      else if (this.value) dispatch(this, "gw-submit", this.value);
    } else return;
    event.preventDefault();
  }

  _onDown(event) {
    if (event.button !== 0 || !this._mask || this._stroke) return;
    event.preventDefault();
    this._view.viewport.focus({ preventScroll: true });
    const p = this._view.toImage(event);
    this._view.surface.setPointerCapture(event.pointerId);
    if (this._tool === "polygon") {
      this._stroke = { id: event.pointerId, polygon: true };
      return;
    }
    const value = this._tool === "eraser" ? 0 : this._label;
    this._stroke = { id: event.pointerId, value, last: p };
    this._paintSegment(p, p, value);
  }

  _onMove(event) {
    this._hover = this._view.toImage(event);
    const stroke = this._stroke;
    if (stroke && event.pointerId === stroke.id && !stroke.polygon) {
      // Coalesced events keep a fast stroke continuous and round.
      for (const e of event.getCoalescedEvents?.() || [event]) {
        const p = this._view.toImage(e);
        this._paintSegment(stroke.last, p, stroke.value);
        stroke.last = p;
      }
    }
    this._drawOverlay();
  }

  _onUp(event) {
    const stroke = this._stroke;
    if (!stroke || event.pointerId !== stroke.id) return;
    this._stroke = null;
    if (!stroke.polygon) return this._record();
    if (event.type !== "pointerup") return;
    const { width, height, zoom } = this._view;
    const p = this._view.toImage(event);
    const first = this._points[0];
    if (first && this._points.length >= 3 && Math.hypot(first.x - p.x, first.y - p.y) * zoom <= CLOSE_REACH_PX) return this._closePolygon();
    this._points.push({ x: Math.min(Math.max(p.x, 0), width), y: Math.min(Math.max(p.y, 0), height) });
    this._update();
  }

  _closePolygon() {
    const points = this._points;
    const last = points.length - 1;
    // The two clicks of a double click add one corner twice.
    if (last > 0 && Math.hypot(points[last].x - points[last - 1].x, points[last].y - points[last - 1].y) * this._view.zoom < 4) points.pop();
    if (points.length >= 3) {
      this._fillPolygon(points, this._label);
      this._record();
    }
    this._points = [];
    this._update();
  }

  /** Paints every pixel whose centre is within the brush's radius of segment a-b. */
  _paintSegment(a, b, value) {
    const { width, height } = this._view;
    const radius = Math.max(this._size / 2, 0.71);
    const x0 = Math.max(0, Math.floor(Math.min(a.x, b.x) - radius));
    const x1 = Math.min(width - 1, Math.ceil(Math.max(a.x, b.x) + radius));
    const y0 = Math.max(0, Math.floor(Math.min(a.y, b.y) - radius));
    const y1 = Math.min(height - 1, Math.ceil(Math.max(a.y, b.y) + radius));
    if (x0 > x1 || y0 > y1) return;
    const dx = b.x - a.x;
    const dy = b.y - a.y;
    const length2 = dx * dx + dy * dy;
    const reach2 = radius * radius;
    for (let y = y0; y <= y1; y++) {
      const cy = y + 0.5;
      for (let x = x0; x <= x1; x++) {
        const cx = x + 0.5;
        const t = length2 ? Math.min(1, Math.max(0, ((cx - a.x) * dx + (cy - a.y) * dy) / length2)) : 0;
        const ex = a.x + t * dx - cx;
        const ey = a.y + t * dy - cy;
        if (ex * ex + ey * ey <= reach2) this._mask[y * width + x] = value;
      }
    }
    this._dirty(x0, y0, x1, y1);
  }

  /** Fills the pixels whose centres are inside the polygon (even-odd rule), row by row. */
  _fillPolygon(points, value) {
    const { width, height } = this._view;
    const ys = points.map((p) => p.y);
    const y0 = Math.max(0, Math.floor(Math.min(...ys)));
    const y1 = Math.min(height - 1, Math.ceil(Math.max(...ys)));
    let [left, right] = [width, -1];
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
        const to = Math.min(width - 1, Math.ceil(crossings[k + 1] - 0.5) - 1);
        if (from > to) continue;
        this._mask.fill(value, y * width + from, y * width + to + 1);
        left = Math.min(left, from);
        right = Math.max(right, to);
      }
    }
    if (right >= 0) this._dirty(left, y0, right, y1);
  }

  _clear() {
    if (!this._mask) return;
    this._mask.fill(0);
    this._dirtyAll();
    this._record();
  }

  _dirtyAll() {
    this._dirty(0, 0, this._view.width - 1, this._view.height - 1);
  }

  /** Marks a rectangle (inclusive) changed: for the next frame, and for the next undo record. */
  _dirty(x0, y0, x1, y1) {
    const grow = (r) => (r ? { x0: Math.min(r.x0, x0), y0: Math.min(r.y0, y0), x1: Math.max(r.x1, x1), y1: Math.max(r.y1, y1) } : { x0, y0, x1, y1 });
    this._paintRect = grow(this._paintRect);
    this._recordRect = grow(this._recordRect);
    this._encoded = null;
    this._frame ||= requestAnimationFrame(() => this._paint());
  }

  _paint() {
    this._frame = 0;
    const r = this._paintRect;
    if (!r) return;
    this._paintRect = null;
    const width = this._view.width;
    for (let y = r.y0; y <= r.y1; y++) {
      for (let i = y * width + r.x0, end = y * width + r.x1; i <= end; i++) this._pixels[i] = this._colours[this._mask[i]];
    }
    this._context.putImageData(this._image, 0, 0, r.x0, r.y0, r.x1 - r.x0 + 1, r.y1 - r.y0 + 1);
  }

  /** Ends an edit: keeps the changed rectangle's pixels before and after, for undo and redo. */
  _record() {
    const r = this._recordRect;
    this._recordRect = null;
    if (!r) return;
    const before = this._copy(this._shadow, r);
    const after = this._copy(this._mask, r);
    if (before.every((b, i) => b === after[i])) return;
    this._write(this._shadow, r, after);
    this._undo.push({ r, before, after });
    this._redo = [];
    let bytes = this._undo.reduce((n, edit) => n + 2 * edit.before.length, 0);
    while (bytes > UNDO_BYTES && this._undo.length > 1) bytes -= 2 * this._undo.shift().before.length;
    this._changed();
  }

  _history(from, to, side) {
    if (this._stroke || !from.length) return;
    const edit = from.pop();
    this._write(this._mask, edit.r, edit[side]);
    this._write(this._shadow, edit.r, edit[side]);
    to.push(edit);
    this._dirty(edit.r.x0, edit.r.y0, edit.r.x1, edit.r.y1);
    this._recordRect = null;
    this._changed();
  }

  _changed() {
    this._update();
    dispatch(this, "gw-change", this.value);
  }

  _copy(source, r) {
    const width = this._view.width;
    const w = r.x1 - r.x0 + 1;
    const out = new Uint8Array(w * (r.y1 - r.y0 + 1));
    for (let y = r.y0; y <= r.y1; y++) out.set(source.subarray(y * width + r.x0, y * width + r.x0 + w), (y - r.y0) * w);
    return out;
  }

  _write(target, r, pixels) {
    const width = this._view.width;
    const w = r.x1 - r.x0 + 1;
    for (let y = r.y0; y <= r.y1; y++) target.set(pixels.subarray((y - r.y0) * w, (y - r.y0 + 1) * w), y * width + r.x0);
  }

  /** The brush outline under the pointer, or the polygon being drawn. */
  _drawOverlay() {
    if (!this._overlay || !this._view.width) return;
    const parts = [];
    const zoom = this._view.zoom;
    if (this._tool === "polygon" && this._points.length) {
      const points = [...this._points, ...(this._hover ? [this._hover] : [])].map((p) => `${p.x},${p.y}`).join(" ");
      for (const name of ["gwd-outline", ""]) {
        const line = svg("polyline");
        line.setAttribute("points", points);
        if (name) line.setAttribute("class", name);
        parts.push(line);
      }
      const first = svg("circle");
      first.setAttribute("class", "gwd-first");
      first.setAttribute("cx", this._points[0].x);
      first.setAttribute("cy", this._points[0].y);
      first.setAttribute("r", String(5 / zoom));
      parts.push(first);
    } else if (this._tool !== "polygon" && this._hover) {
      for (const name of ["gwd-outline", ""]) {
        const ring = svg("circle");
        ring.setAttribute("cx", this._hover.x);
        ring.setAttribute("cy", this._hover.y);
        ring.setAttribute("r", String(Math.max(this._size / 2, 1 / zoom)));
        if (name) ring.setAttribute("class", name);
        parts.push(ring);
      }
    }
    this._overlay.replaceChildren(...parts);
  }
}

if (!customElements.get("gw-semantic-segmentation")) customElements.define("gw-semantic-segmentation", GwSemanticSegmentation);
