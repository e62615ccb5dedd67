// The task UI of one task message: the element from `createTaskElement` (elements/index.js),
// or, if that module cannot load, a plain JSON answer box so work never stalls.
import { h } from "./console.js";

let factory = null;

async function loadFactory() {
  if (factory) return factory;
  try {
    factory = (await import("./elements/index.js")).createTaskElement;
  } catch (error) {
    console.warn("task elements unavailable, using the JSON answer box", error);
    factory = fallbackElement;
  }
  return factory;
}

function fallbackElement(task) {
  const box = h("textarea", { "aria-label": "Answer as JSON", spellcheck: "false" });
  const wrapper = h("div", { class: "fallback" },
    h("pre", {}, JSON.stringify(task.input, null, 2)), h("label", {}, "Answer (JSON)"), box);
  Object.defineProperty(wrapper, "value", {
    get() { try { const value = JSON.parse(box.value); return value && typeof value === "object" ? value : null; } catch { return null; } },
    set(value) { box.value = value ? JSON.stringify(value) : ""; },
  });
  box.addEventListener("input", () => wrapper.dispatchEvent(new CustomEvent("gw-change", { bubbles: true, detail: { value: wrapper.value } })));
  wrapper.focus = () => box.focus();
  wrapper.ready = Promise.resolve();
  return wrapper;
}

/** A configured, not yet connected element for `task` (a websocket `task` message or a
 * preview), its draft answer restored from `draft`. */
export async function createTaskUI(task, draft = null) {
  const create = await loadFactory();
  let element;
  try {
    element = create(task);
  } catch (error) {  // a task type with no element yet: answer it as JSON rather than stall
    console.warn(error);
    element = fallbackElement(task);
  }
  if (draft) element.value = draft;
  return element;
}

/** Start loading a task's image early (the next task is prefetched while this one is labeled). */
export function prefetch(task) {
  const url = task && task.input && (task.input["source-url"] || task.input.source_url);
  if (typeof url === "string" && /^(https?:|\/)/.test(url)) {
    const image = new Image();
    image.src = url;
  }
}
