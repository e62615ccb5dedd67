/* Shared parts of the drawing elements (gw-bounding-box, gw-semantic-segmentation).

ZoomView: an image in a clipping, scrolling viewport, zoomed and panned.
- The surface (`.gwd-surface`) is sized to exactly the displayed image: natural size x zoom, in
  CSS pixels, with no border, padding or letterbox inside it; the viewport around it scrolls
  when the surface is larger and centres it when it is smaller.
- Geometry stays in image pixels: `toImage(event)` converts a pointer's client point with the
  surface's bounding rect, so zoom, scroll (pan) and the device pixel ratio (client points are
  CSS pixels) enter nowhere else.
- Zoom: `+`/`-`/`0` keys (the element forwards them), the buttons, and Ctrl/⌘ + wheel or a
  trackpad pinch around the pointer. A plain wheel scrolls, as everywhere on the web.
- Pan: drag with Space held, with the middle button, or in pan mode (the hand button, `H`).
  A pan drag is taken in the capture phase, so the element's tools never see it.
*/

export const PALETTE = ["#e6194b", "#3cb44b", "#ffe119", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#bfef45", "#fabed4"];

/** The colour of label `index`: ten distinct colours, then hues a golden angle apart. */
export function labelColor(index) {
  if (index < PALETTE.length) return PALETTE[index];
  const hue = (index * 137.508) % 360;
  return hslHex(hue, 0.7, 0.5);
}

function hslHex(hue, saturation, lightness) {
  const a = saturation * Math.min(lightness, 1 - lightness);
  const channel = (n) => {
    const k = (n + hue / 30) % 12;
    const value = lightness - a * Math.max(-1, Math.min(k - 3, 9 - k, 1));
    return Math.round(value * 255).toString(16).padStart(2, "0");
  };
  return `#${channel(0)}${channel(8)}${channel(4)}`;
}

/** `[r, g, b]` of `#rrggbb`. */
export function rgbOf(hex) {
  return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
}

/** Black or white, whichever reads better on `hex` (WCAG relative luminance). */
export function inkOn(hex) {
  const [r, g, b] = rgbOf(hex).map((c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  const luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  return (luminance + 0.05) / 0.05 > 1.05 / (luminance + 0.05) ? "#000" : "#fff";
}

/** An element with attributes (`text` sets textContent, `on<type>` adds a listener) and children. */
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

const styleLinks = new Map();

/** Links the drawing elements' stylesheet into the document once; resolves when it has loaded. */
export function linkStyles() {
  const href = new URL("./gw-drawing.css", import.meta.url).href;
  if (!styleLinks.has(href)) {
    let link = [...document.querySelectorAll("link[rel=stylesheet]")].find((l) => l.href === href);
    const loaded = link && link.sheet;
    if (!link) {
      link = h("link", { rel: "stylesheet", href });
      document.head.append(link);
    }
    styleLinks.set(
      href,
      loaded ? Promise.resolve() : new Promise((resolve) => {
        link.addEventListener("load", resolve, { once: true });
        link.addEventListener("error", resolve, { once: true });
      }),
    );
  }
  return styleLinks.get(href);
}

/** True when keys typed into `target` mean text (or activate a control), not a shortcut. */
export function isTextTarget(target) {
  return target instanceof HTMLElement && (target.matches("input, textarea, select, [contenteditable]") || target.isContentEditable);
}

export function isControl(target) {
  return target instanceof HTMLElement && target.matches("button, input, textarea, select, a[href]");
}

export function dispatch(host, type, value) {
  host.dispatchEvent(new CustomEvent(type, { bubbles: true, composed: true, detail: { value } }));
}

const ZOOM_STEP = 1.25;

export class ZoomView {
  /** `onView()` is called after every zoom change (tools redraw what depends on the scale). */
  constructor({ label, onView }) {
    this.onView = onView;
    this.img = h("img", { class: "gwd-image", alt: "", draggable: "false" });
    this.surface = h("div", { class: "gwd-surface" }, this.img);
    this.viewport = h("div", { class: "gwd-viewport", tabindex: "0", role: "application", "aria-label": label }, this.surface);
    this.width = 0;
    this.height = 0;
    this.zoom = 1;
    this.fit = 1;
    this.atFit = true;
    this.panMode = false;
    this.spaceHeld = false;
    this.pan = null;
    this.zoomText = h("output", { class: "gwd-zoom", "aria-live": "polite", "aria-label": "Zoom" }, "100%");
    this.panButton = h("button", { type: "button", "aria-pressed": "false", title: "Pan mode (H, or drag with Space held)", text: "Pan", onclick: () => this.setPanMode(!this.panMode) });
    this.controls = [
      h("button", { type: "button", "aria-label": "Zoom out", title: "Zoom out (-)", text: "−", onclick: () => this.zoomBy(1 / ZOOM_STEP) }),
      this.zoomText,
      h("button", { type: "button", "aria-label": "Zoom in", title: "Zoom in (+)", text: "+", onclick: () => this.zoomBy(ZOOM_STEP) }),
      h("button", { type: "button", "aria-label": "Fit the image", title: "Fit (0)", text: "Fit", onclick: () => this.zoomTo(this.fit) }),
      this.panButton,
    ];
    this.viewport.addEventListener("wheel", (e) => this.onWheel(e), { passive: false });
    this.viewport.addEventListener("pointerdown", (e) => this.onPanStart(e), true);
    this.viewport.addEventListener("pointermove", (e) => this.onPanMove(e), true);
    this.viewport.addEventListener("pointerup", (e) => this.onPanEnd(e), true);
    this.viewport.addEventListener("pointercancel", (e) => this.onPanEnd(e), true);
    // The middle button's autoscroll would fight a pan drag.
    this.viewport.addEventListener("mousedown", (e) => e.button === 1 && e.preventDefault());
    this.resizeObserver = new ResizeObserver(() => this.width && this.layout());
  }

  /** Loads `src`; resolves with the natural size once the image is decoded. */
  async load(src) {
    this.img.src = src;
    await this.img.decode().catch(() => new Promise((resolve, reject) => {
      if (this.img.complete && this.img.naturalWidth) resolve();
      this.img.addEventListener("load", resolve, { once: true });
      this.img.addEventListener("error", () => reject(new Error("the image could not be loaded")), { once: true });
    }));
    if (!this.img.naturalWidth) throw new Error("the image could not be loaded");
    this.width = this.img.naturalWidth;
    this.height = this.img.naturalHeight;
    return { width: this.width, height: this.height };
  }

  /** Fits the image to the viewport's width and at most 70% of the window's height. */
  layout() {
    const available = this.viewport.parentElement ? this.viewport.parentElement.clientWidth : 0;
    if (!available || !this.width) return;
    const maxHeight = Math.max(200, window.innerHeight * 0.7);
    this.fit = Math.min(available / this.width, maxHeight / this.height, 4);
    this.viewport.style.height = `${this.height * this.fit}px`;
    this.resizeObserver.observe(this.viewport.parentElement);
    if (this.atFit) this.zoom = this.fit;
    this.apply();
  }

  apply() {
    this.surface.style.width = `${this.width * this.zoom}px`;
    this.surface.style.height = `${this.height * this.zoom}px`;
    this.surface.classList.toggle("gwd-pixelated", this.zoom > 3);
    this.zoomText.textContent = `${Math.round(this.zoom * 100)}%`;
    this.onView();
  }

  /** Zooms to `zoom` (clamped) keeping the image point under client point (x, y) in place. */
  zoomTo(zoom, x, y) {
    const before = this.surface.getBoundingClientRect();
    const viewportBox = this.viewport.getBoundingClientRect();
    x ??= viewportBox.left + viewportBox.width / 2;
    y ??= viewportBox.top + viewportBox.height / 2;
    const imageX = (x - before.left) / this.zoom;
    const imageY = (y - before.top) / this.zoom;
    this.zoom = Math.min(Math.max(zoom, this.fit), Math.max(8, this.fit * 8));
    this.atFit = Math.abs(this.zoom - this.fit) < 1e-9;
    this.apply();
    const after = this.surface.getBoundingClientRect();
    this.viewport.scrollLeft += after.left + imageX * this.zoom - x;
    this.viewport.scrollTop += after.top + imageY * this.zoom - y;
  }

  zoomBy(factor) {
    this.zoomTo(this.zoom * factor);
  }

  /** Image pixel coordinates (floats) of a pointer event's client point. */
  toImage(event) {
    const rect = this.surface.getBoundingClientRect();
    return {
      x: ((event.clientX - rect.left) * this.width) / rect.width,
      y: ((event.clientY - rect.top) * this.height) / rect.height,
    };
  }

  setPanMode(on) {
    this.panMode = on;
    this.panButton.setAttribute("aria-pressed", String(on));
    this.viewport.classList.toggle("gwd-pan", on || this.spaceHeld);
  }

  /** Handles zoom and pan keys; true when the key was used. */
  onKey(event) {
    if (event.key === " " && !isControl(event.target)) {
      if (event.type === "keydown") {
        this.spaceHeld = true;
        this.viewport.classList.add("gwd-pan");
      }
      event.preventDefault();
      return true;
    }
    if (event.type !== "keydown" || event.ctrlKey || event.metaKey || event.altKey) return false;
    if (event.key === "+" || event.key === "=") this.zoomBy(ZOOM_STEP);
    else if (event.key === "-" || event.key === "_") this.zoomBy(1 / ZOOM_STEP);
    else if (event.key === "0") this.zoomTo(this.fit);
    else if (event.key === "h" || event.key === "H") this.setPanMode(!this.panMode);
    else return false;
    event.preventDefault();
    return true;
  }

  onKeyUp(event) {
    if (event.key === " ") {
      this.spaceHeld = false;
      this.viewport.classList.toggle("gwd-pan", this.panMode);
    }
  }

  onWheel(event) {
    if (!(event.ctrlKey || event.metaKey) || !this.width) return;
    event.preventDefault();
    this.zoomTo(this.zoom * Math.exp(-event.deltaY * 0.002), event.clientX, event.clientY);
  }

  onPanStart(event) {
    if (!(event.button === 1 || (event.button === 0 && (this.spaceHeld || this.panMode)))) return;
    event.stopPropagation();
    event.preventDefault();
    this.viewport.focus({ preventScroll: true });
    this.viewport.setPointerCapture(event.pointerId);
    this.pan = { id: event.pointerId, x: event.clientX, y: event.clientY, left: this.viewport.scrollLeft, top: this.viewport.scrollTop };
  }

  onPanMove(event) {
    if (!this.pan || event.pointerId !== this.pan.id) return;
    event.stopPropagation();
    this.viewport.scrollLeft = this.pan.left - (event.clientX - this.pan.x);
    this.viewport.scrollTop = this.pan.top - (event.clientY - this.pan.y);
  }

  onPanEnd(event) {
    if (!this.pan || event.pointerId !== this.pan.id) return;
    event.stopPropagation();
    this.pan = null;
  }
}
