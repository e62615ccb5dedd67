// Inside a custom template's sandboxed frame (labeling/console/template_frames.py): configure the
// template's task elements from their attributes, then load them; gather the answer from the
// elements and form fields and send it to the console (postMessage to the console's origin),
// which submits it for its own assignment. The frame has an opaque origin: no cookies, no API.
const me = document.querySelector("script[data-console-origin]");
const consoleOrigin = me.dataset.consoleOrigin;
const assignmentId = me.dataset.assignmentId;
const JSON_PROPS = ["labels", "input", "schema"];
const TEXT_PROPS = ["src", "text"];

const isTaskElement = (node) => node.tagName.startsWith("GW-");
const taskElements = () => [...document.querySelectorAll("*")].filter(isTaskElement);
function insideTaskElement(node) {
  for (let parent = node.parentElement; parent; parent = parent.parentElement) if (isTaskElement(parent)) return true;
  return false;
}

/** Attributes in, as the console sets properties: JSON for labels, input and schema. */
function configure(element) {
  for (const name of JSON_PROPS) {
    if (!element.hasAttribute(name)) continue;
    try { element[`_${name}`] = JSON.parse(element.getAttribute(name)); } catch { element[`_${name}`] = null; }
  }
  for (const name of TEXT_PROPS) if (element.hasAttribute(name)) element[`_${name}`] = element.getAttribute(name);
}

/** The answer: each task element's value (under its `name`, or its keys at the top level
 * without one), then each named form field: checkboxes as lists of the checked values, a radio
 * group as the chosen value, numbers as numbers, the rest as strings. */
export function currentAnswer() {
  const answer = {};
  for (const element of taskElements()) {
    if (insideTaskElement(element)) continue;
    const value = element.value;
    if (value == null) continue;
    const name = element.getAttribute("name");
    if (name) answer[name] = value;
    else if (typeof value === "object") Object.assign(answer, value);
  }
  for (const field of document.querySelectorAll("input[name], select[name], textarea[name]")) {
    if (insideTaskElement(field) || field.disabled) continue;
    const name = field.name;
    if (field.type === "checkbox") {
      answer[name] = Array.isArray(answer[name]) ? answer[name] : [];
      if (field.checked) answer[name].push(field.value);
    } else if (field.type === "radio") {
      if (field.checked) answer[name] = field.value;
    } else if ((field.type === "number" || field.type === "range") && field.value !== "") {
      answer[name] = Number(field.value);
    } else if (field.type !== "submit" && field.type !== "button" && field.type !== "reset") {
      answer[name] = field.value;
    }
  }
  return answer;
}

function send(type) {
  window.parent.postMessage({ type, assignmentId, answer: currentAnswer() }, consoleOrigin);
}

function valid() {
  const elements = taskElements().filter((element) => !insideTaskElement(element));
  const elementsValid = elements.every((element) => (element.reportValidity ? element.reportValidity() : true));
  const formsValid = [...document.forms].every((form) => form.reportValidity());
  return elementsValid && formsValid;
}

function submit(event) {
  event.preventDefault();
  event.stopPropagation();
  if (valid()) send("gw-template-submit");
}

function reportSize() {
  window.parent.postMessage({ type: "gw-template-size", assignmentId, height: Math.ceil(document.documentElement.getBoundingClientRect().height) }, consoleOrigin);
}

const stylesheet = document.createElement("link");
stylesheet.rel = "stylesheet";
stylesheet.href = me.dataset.stylesheet;
document.head.prepend(stylesheet);
for (const element of taskElements()) configure(element);
await import("./elements/index.js");  // defines the elements: they upgrade with what configure set
document.addEventListener("submit", submit, true);
document.addEventListener("gw-submit", submit);
for (const type of ["input", "change", "gw-change"]) document.addEventListener(type, () => send("gw-template-change"));
new ResizeObserver(reportSize).observe(document.documentElement);
document.documentElement.dataset.gwTemplateReady = "true";
