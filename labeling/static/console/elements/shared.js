// Shared pieces of the task elements: the base class (the element API of docs/console.md) and
// DOM helpers. Requester content is untrusted: it reaches the DOM only as text, attributes, or
// the src of an <img> / href of a link to an http(s) URL; never as HTML.

const STYLESHEET = new URL("./elements.css", import.meta.url).href;
const PROPS = ["labels", "src", "text", "input", "schema"];

let stylesheetLoaded = null;
/** Link elements.css once; a promise settled when it has loaded (`ready` waits for it). */
function ensureStylesheet() {
  if (stylesheetLoaded) return stylesheetLoaded;
  const link = document.createElement("link");
  link.rel = "stylesheet";
  link.href = STYLESHEET;
  stylesheetLoaded = new Promise((resolve) => {
    link.addEventListener("load", resolve, { once: true });
    link.addEventListener("error", resolve, { once: true });
  });
  document.head.append(link);
  return stylesheetLoaded;
}

/** `h("p", {class: "x"}, child, "text")`: an element; strings become text nodes. */
export function h(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value == null) continue;
    node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child == null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

let uid = 0;
/** A page-unique id (for label[for], aria-describedby). */
export const nextId = (prefix) => `${prefix}-${++uid}`;

/** 0–8 for the keys 1–9 without a modifier (the digit row or the keypad), else -1. */
export function digitIndex(event) {
  if (event.ctrlKey || event.metaKey || event.altKey) return -1;
  return event.key.length === 1 && event.key >= "1" && event.key <= "9" ? Number(event.key) - 1 : -1;
}

/** Whether keys typed at this target are text (a text field, textarea, select, editable). */
export function isTyping(target) {
  if (!(target instanceof Element)) return false;
  if (target.isContentEditable || target.tagName === "TEXTAREA" || target.tagName === "SELECT") return true;
  return target.tagName === "INPUT" && !/^(checkbox|radio|button|submit|reset|range|color|file|image)$/.test(target.type);
}

/** Base of every task element: the properties of the element API, `ready`, the events. */
export class TaskElement extends HTMLElement {
  constructor() {
    super();
    let resolveContent;
    this._ready = new Promise((resolve) => (resolveContent = resolve));
    // Subclasses call _resolveReady when their content is usable.
    this._resolveReady = () => resolveContent(ensureStylesheet());
    this._draft = null;
    this._built = false;
  }

  /** Resolves when the element is usable (its image, if any, loaded or failed). */
  get ready() {
    return this._ready;
  }

  connectedCallback() {
    if (this._built) return;
    ensureStylesheet();
    this.classList.add("gw-task");
    this._built = true;
    this.build();
    if (this._draft != null) this.restore(this._draft);
  }

  get value() {
    return this._built ? this.currentValue() : null;
  }

  set value(answer) {
    if (this._built) this.restore(answer);
    else this._draft = answer;
  }

  /** Fire `gw-change` (after every edit) or `gw-submit` with `{value}`. */
  emit(name) {
    this.dispatchEvent(new CustomEvent(name, { bubbles: true, composed: true, detail: { value: this.value } }));
  }

  /** `gw-submit` when the value is valid; otherwise shows why (subclasses) and returns false. */
  submit() {
    if (!this.reportValidity()) return false;
    this.emit("gw-submit");
    return true;
  }

  /** Whether the value is valid, showing what is missing when not. */
  reportValidity() {
    return this.value != null;
  }

  /** A region for short messages read out by screen readers. */
  liveRegion() {
    return h("p", { class: "gw-status", role: "status", "aria-live": "polite" });
  }
}
for (const name of PROPS) {
  Object.defineProperty(TaskElement.prototype, name, {
    get() {
      return this[`_${name}`] ?? null;
    },
    set(given) {
      this[`_${name}`] = given;
    },
    configurable: true,
  });
}

/** `class X extends withInitialValue(Base, "The boxes to start from could not be read.")`: the
 * adjustment elements' `initialValue` (the annotation to start from, in the answer format, or
 * null) and its `initial-value` attribute (JSON). Setting it sets `value` too (a draft `value`
 * set after it wins) and shows the element's `_reset` button when there is something to reset
 * to; JSON that does not parse puts `unreadable` in the element's `_status`. */
export function withInitialValue(Base, unreadable) {
  return class extends Base {
    get initialValue() {
      return this._initial ?? null;
    }

    set initialValue(value) {
      this._initial = value && typeof value === "object" ? value : null;
      this.value = this._initial;
      if (this._reset) this._reset.hidden = !this._initial;
    }

    static get observedAttributes() {
      return ["initial-value"];
    }

    attributeChangedCallback(name, old, text) {
      try {
        this.initialValue = JSON.parse(text);
      } catch {
        if (this._status) this._status.textContent = unreadable;
      }
    }
  };
}

const IMAGE_PATH = /\.(png|jpe?g|gif|webp|avif|bmp|svg)$/i;

/** An http(s) URL (as a URL object) or null: nothing else becomes a link or an image. */
export function httpUrl(value) {
  if (typeof value !== "string" || !/^https?:\/\//i.test(value)) return null;
  try {
    return new URL(value);
  } catch {
    return null;
  }
}

/** An <img> and a promise settled when it loaded or failed (then saying so). */
export function imageView(src, alt) {
  const img = h("img", { class: "gw-image", alt, src });
  const ready = new Promise((resolve) => {
    img.addEventListener("load", resolve, { once: true });
    img.addEventListener("error", () => {
      img.after(h("p", { class: "gw-note" }, "The image could not be loaded."));
      resolve();
    }, { once: true });
  });
  return { node: img, ready: img.complete && img.naturalWidth ? Promise.resolve() : ready };
}

/** One value of a task's input: image URLs as images, other http(s) URLs as links, the rest
 * as text, lists and objects nested. */
function inputValue(value, key, images, depth) {
  const url = httpUrl(value);
  if (url && IMAGE_PATH.test(url.pathname)) {
    const view = imageView(url.href, `Input ${key}`);
    images.push(view.ready);
    return view.node;
  }
  if (url) return h("a", { href: url.href, target: "_blank", rel: "noopener noreferrer" }, url.href);
  if (Array.isArray(value) && depth < 4) {
    return h("ul", { class: "gw-input-list" }, value.map((item, i) => h("li", {}, inputValue(item, `${key} ${i + 1}`, images, depth + 1))));
  }
  if (value && typeof value === "object" && depth < 4) return inputList(value, images, depth + 1);
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return h("div", { class: "gw-text" }, text);
}

function inputList(object, images, depth) {
  return h("dl", { class: "gw-input" }, Object.entries(object).map(([key, value]) => [
    h("dt", {}, key),
    h("dd", {}, inputValue(value, key, images, depth)),
  ]));
}

/** The view of a custom task's input (any JSON) and a promise settled when its images are. */
export function inputView(input) {
  const images = [];
  const node = input && typeof input === "object" && !Array.isArray(input)
    ? inputList(input, images, 0)
    : inputValue(input, "input", images, 0);
  return { node, ready: Promise.all(images).then(() => undefined) };
}

/** The task's content for the label elements: `src` as an image, `text` as text, else `input`. */
export function contentView(element, alt) {
  if (element.src) return imageView(element.src, alt);
  if (element.text != null) return { node: h("div", { class: "gw-text gw-source" }, String(element.text)), ready: Promise.resolve() };
  if (element.input != null) return inputView(element.input);
  return { node: h("p", { class: "gw-note" }, "This task has nothing to show."), ready: Promise.resolve() };
}

/** The label buttons (key hint 1–9, aria-pressed) in a group named `groupName`. */
export function labelButtons(labels, groupName, onPick) {
  const buttons = labels.map((label, index) => {
    const button = h("button", {
      type: "button",
      class: "gw-label",
      "aria-pressed": "false",
      "data-index": index,
      "aria-keyshortcuts": index < 9 ? String(index + 1) : null,
    }, index < 9 ? h("kbd", { "aria-hidden": "true" }, String(index + 1)) : null, h("span", {}, label));
    button.addEventListener("click", () => onPick(index));
    return button;
  });
  return { group: h("div", { class: "gw-labels", role: "group", "aria-label": groupName }, buttons), buttons };
}

/** The data of a message sent by `frame`'s own window, or null for any other sender; given an
 * `assignmentId`, also null unless the message is about that assignment. (Who sent a message is
 * its `source`: a sandboxed frame's `origin` is "null", so the origin tells nothing.) */
export function frameMessage(event, frame, assignmentId) {
  if (!frame || event.source !== frame.contentWindow) return null;
  const data = event.data || {};
  if (assignmentId !== undefined && String(data.assignmentId) !== String(assignmentId)) return null;
  return data;
}
