/* Shared by gw-bounding-box and gw-semantic-segmentation.

ZoomView: the image in a scrolling viewport; its surface is exactly the displayed image (natural
size x zoom in CSS px, nothing inside). Geometry stays in image pixels: toImage(event) maps a
client point through the surface's rect, so zoom, pan (scroll) and device pixel ratio enter
nowhere else. Zoom: + - 0 (fit), buttons, Ctrl/⌘ + wheel or pinch (a plain wheel scrolls).
Pan: drag with Space held, the middle button, or in pan mode (button, H), taken in the capture
phase so the tools never see it.
*/

const PALETTE = ["#e6194b", "#3cb44b", "#ffe119", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#bfef45", "#fabed4"];

/** Label `i`'s colour (#rrggbb): ten distinct ones, then scattered by a multiplicative hash. */
export const labelColor = (i) => PALETTE[i] || `#${(Math.imul(i, 0x9e3779b1) >>> 8).toString(16).padStart(6, "0")}`;

export const rgbOf = (hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));

/** An element; attribute `text` sets textContent, `on<type>` adds a listener. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "text") element.textContent = value;
    else if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value);
  }
  element.append(...children);
  return element;
}

let styles;
/** Links gw-drawing.css once; resolves when it has loaded or failed. */
export function linkStyles() {
  return (styles ||= new Promise((resolve) => {
    const link = h("link", { rel: "stylesheet", href: new URL("./gw-drawing.css", import.meta.url).href, onload: resolve, onerror: resolve });
    document.head.append(link);
  }));
}

/** Where keys are text (a text field) rather than shortcuts; a range slider is not. */
export const isTextTarget = (t) => t.isContentEditable || (t.matches?.("input, textarea, select") && t.type !== "range");
/** Where Enter activates the control rather than submitting. */
export const isControl = (t) => t.matches?.("button, a[href], textarea, select") || isTextTarget(t);

export const dispatch = (host, type, value) => host.dispatchEvent(new CustomEvent(type, { bubbles: true, composed: true, detail: { value } }));

export function labelButtons(group, labels, pick) {
  group.replaceChildren(
    ...labels.map((label, i) => {
      const swatch = h("span", { class: "gwd-swatch", "aria-hidden": "true" });
      swatch.style.background = labelColor(i);
      return h("button", { type: "button", "aria-pressed": "false", onclick: () => pick(i) }, swatch, i < 9 ? `${i + 1} ` : "", label);
    }),
  );
}

export const pressed = (buttons, test) => [...buttons].forEach((b, i) => b.setAttribute("aria-pressed", String(test(b, i))));

const STEP = 1.25;
const POINTER = ["pointerdown", "pointermove", "pointerup", "pointercancel"];
export const clamp = (v, low, high) => Math.min(Math.max(v, low), high);
/** A button; `title` names its key, `label` its accessible name when the text is a sign. */
export const button = (text, title, onclick, label = text) => h("button", { type: "button", "aria-label": label, title, text, onclick });

export class ZoomView {
  constructor(label, onView) {
    this.onView = onView;
    this.img = h("img", { class: "gwd-image", alt: "", draggable: "false" });
    this.surface = h("div", { class: "gwd-surface" }, this.img);
    this.viewport = h("div", { class: "gwd-viewport", tabindex: "0", role: "application", "aria-label": label }, this.surface);
    Object.assign(this, { width: 0, height: 0, zoom: 1, fit: 1, atFit: true, panMode: false, space: false, pan: null });
    this.zoomText = h("output", { class: "gwd-zoom", "aria-label": "Zoom" }, "100%");
    this.panButton = button("Pan", "Pan mode (H, or drag with Space held)", () => this.setPanMode(!this.panMode), "Pan mode");
    this.panButton.setAttribute("aria-pressed", "false");
    this.controls = [
      button("−", "Zoom out (-)", () => this.zoomTo(this.zoom / STEP), "Zoom out"),
      this.zoomText,
      button("+", "Zoom in (+)", () => this.zoomTo(this.zoom * STEP), "Zoom in"),
      button("Fit", "Fit (0)", () => this.zoomTo(this.fit), "Fit the image"),
      this.panButton,
    ];
    const v = this.viewport;
    v.addEventListener("wheel", (e) => this.onWheel(e), { passive: false });
    for (const type of POINTER) v.addEventListener(type, (e) => this.onPan(e), true);
    v.addEventListener("mousedown", (e) => e.button === 1 && e.preventDefault()); // no autoscroll
    this.resizeObserver = new ResizeObserver(() => this.layout());
  }

  /** Loads `src`; resolves once the image is decoded and its natural size known. */
  async load(src) {
    this.img.src = src;
    await this.img.decode().catch(() => {});
    if (!this.img.naturalWidth) throw new Error("the image could not be loaded");
    this.width = this.img.naturalWidth;
    this.height = this.img.naturalHeight;
  }

  /** Fits the image to the viewport's width and 70% of the window's height (at most 4x). */
  layout() {
    const parent = this.viewport.parentElement;
    if (!parent?.clientWidth || !this.width) return;
    this.fit = Math.min(parent.clientWidth / this.width, Math.max(200, innerHeight * 0.7) / this.height, 4);
    this.viewport.style.height = `${this.height * this.fit}px`;
    this.resizeObserver.observe(parent);
    if (this.atFit) this.zoom = this.fit;
    this.apply();
  }

  apply() {
    this.surface.style.width = `${this.width * this.zoom}px`;
    this.surface.style.height = `${this.height * this.zoom}px`;
    this.zoomText.textContent = `${Math.round(this.zoom * 100)}%`;
    this.onView();
  }

  /** Zooms (fit to 8x or 8 fits) keeping the image point under (x, y), or the centre, in place. */
  zoomTo(zoom, x, y) {
    const before = this.surface.getBoundingClientRect();
    const port = this.viewport.getBoundingClientRect();
    x ??= port.left + port.width / 2;
    y ??= port.top + port.height / 2;
    const [ix, iy] = [(x - before.left) / this.zoom, (y - before.top) / this.zoom];
    this.zoom = clamp(zoom, this.fit, Math.max(8, this.fit * 8));
    this.atFit = this.zoom === this.fit;
    this.apply();
    const after = this.surface.getBoundingClientRect();
    this.viewport.scrollLeft += after.left + ix * this.zoom - x;
    this.viewport.scrollTop += after.top + iy * this.zoom - y;
  }

  /** Image pixel coordinates (floats) of a pointer event's client point. */
  toImage(event) {
    const r = this.surface.getBoundingClientRect();
    return { x: ((event.clientX - r.left) * this.width) / r.width, y: ((event.clientY - r.top) * this.height) / r.height };
  }

  setPanMode(on) {
    this.panMode = on;
    this.panButton.setAttribute("aria-pressed", String(on));
    this.viewport.classList.toggle("gwd-pan", on || this.space);
  }

  /** Zoom and pan keys; true when the key was one. */
  onKey(e) {
    if (e.key === " " && !isControl(e.target)) {
      this.space = e.type === "keydown";
      this.viewport.classList.toggle("gwd-pan", this.space || this.panMode);
      e.preventDefault();
      return true;
    }
    if (e.type !== "keydown" || e.ctrlKey || e.metaKey || e.altKey) return false;
    const act = { "+": STEP, "=": STEP, "-": 1 / STEP, _: 1 / STEP }[e.key];
    if (act) this.zoomTo(this.zoom * act);
    else if (e.key === "0") this.zoomTo(this.fit);
    else if (e.key === "h" || e.key === "H") this.setPanMode(!this.panMode);
    else return false;
    e.preventDefault();
    return true;
  }

  onWheel(e) {
    if (!(e.ctrlKey || e.metaKey) || !this.width) return;
    e.preventDefault();
    this.zoomTo(this.zoom * Math.exp(-e.deltaY * 0.002), e.clientX, e.clientY);
  }

  onPan(e) {
    const pan = this.pan;
    if (e.type === "pointerdown") {
      if (!(e.button === 1 || (e.button === 0 && (this.space || this.panMode)))) return;
      e.preventDefault();
      this.viewport.focus({ preventScroll: true });
      this.viewport.setPointerCapture(e.pointerId);
      this.pan = { id: e.pointerId, x: e.clientX, y: e.clientY, left: this.viewport.scrollLeft, top: this.viewport.scrollTop };
    } else if (!pan || e.pointerId !== pan.id) return;
    else if (e.type === "pointermove") {
      this.viewport.scrollLeft = pan.left - (e.clientX - pan.x);
      this.viewport.scrollTop = pan.top - (e.clientY - pan.y);
    } else this.pan = null;
    e.stopPropagation();
  }
}

/** The element API's `labels`, `src`, `ready`, `focus()`; loading and measuring the image.
 * Subclasses give _build, _setUp (image measured), _labelsChanged, _onView, _onKey, _onPointer. */
export class DrawingElement extends HTMLElement {
  constructor(label) {
    super();
    Object.assign(this, { _labels: [], _src: "", _pending: null, _measured: false });
    this.ready = new Promise((resolve, reject) => Object.assign(this, { _resolve: resolve, _reject: reject }));
    this.ready.catch(() => {});
    this._view = new ZoomView(label, () => this._measured && this._onView());
    this._status = h("p", { class: "gwd-status", "aria-live": "polite" });
  }

  get labels() { return this._labels; }
  set labels(labels) {
    this._labels = Array.isArray(labels) ? labels.map(String) : [];
    this._labelsChanged();
  }

  get src() { return this._src; }
  set src(src) {
    this._src = String(src || "");
    this._measured = false;
    this._loading = this._view.load(this._src);
    this._loading.catch(() => {});
    if (this.isConnected) this._start();
  }

  focus(options) { this._view.viewport.focus(options); }

  connectedCallback() {
    const v = this._view;
    if (!this.classList.contains("gwd")) {
      this.classList.add("gwd");
      this._build();
      this._labelsChanged();
      this.addEventListener("keydown", (e) => isTextTarget(e.target) || this._onKey(e));
      this.addEventListener("keyup", (e) => v.onKey(e));
      // A mouse click on a control hands focus back to the image, so the keys keep working.
      this.addEventListener("click", (e) => e.detail && e.target.closest("button, input") && v.viewport.focus({ preventScroll: true }));
      for (const type of POINTER) v.surface.addEventListener(type, (e) => this._onPointer(e));
    }
    if (this._loading) this._start();
  }

  async _start() {
    if (this._measured) return this._view.layout(); // connected again: keep the work
    const loading = this._loading;
    try {
      await Promise.all([loading, linkStyles()]);
    } catch (error) {
      if (loading !== this._loading) return;
      this._status.textContent = "The image could not be loaded.";
      return this._reject(error);
    }
    if (loading !== this._loading || !this.isConnected) return;
    this._view.layout();
    await this._setUp();
    this._measured = true;
    this._onView();
    this._resolve();
  }
}
