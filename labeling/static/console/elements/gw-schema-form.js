// <gw-schema-form>: a `custom` task answered with a form generated from its JSON Schema (or,
// without one, a JSON object editor). The mapping from schema to fields, what is checked
// before gw-submit and the keys are in docs/console.md; the server validates the full schema.
import { TaskElement, digitIndex, h, inputView, isTyping, nextId } from "./shared.js";

const ABSENT = Symbol("absent");
const humanize = (name) => name.replace(/[_-]+/g, " ").replace(/^./, (c) => c.toUpperCase());
const typeOf = (schema) => [schema.type].flat().find((t) => t && t !== "null") ?? (schema.properties ? "object" : null);

/** `{value, title}` options of an enum, or of a oneOf/anyOf made of `const`s; null otherwise. */
function choicesOf(schema) {
  if (Array.isArray(schema.enum)) return schema.enum.map((value) => ({ value, title: String(value) }));
  const list = schema.oneOf ?? schema.anyOf;
  if (Array.isArray(list) && list.length && list.every((s) => s && "const" in s)) {
    return list.map((s) => ({ value: s.const, title: s.title ?? String(s.const) }));
  }
  return null;
}

const BOUNDS = [
  ["minimum", (v, b) => v < b, "at least"],
  ["maximum", (v, b) => v > b, "at most"],
  ["exclusiveMinimum", (v, b) => v <= b, "more than"],
  ["exclusiveMaximum", (v, b) => v >= b, "less than"],
];
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

export class GwSchemaForm extends TaskElement {
  build() {
    this._root = this.schema && typeof this.schema === "object" ? this.schema : null;
    const content = this.input != null && Object.keys(this.input).length ? inputView(this.input) : null;
    content ? content.ready.then(this._resolveReady) : this._resolveReady();
    this._form = h("form", { class: "gw-form", novalidate: true, "aria-label": this._root?.title ?? "Answer" });
    this._form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    const free = { title: "Your answer, as a JSON object" };
    this._field = this._build(this._root ?? free, { name: null, required: true, jsonObject: !this._root });
    this._status = this.liveRegion();
    this._form.append(this._field.node);
    this.append(...(content ? [h("div", { class: "gw-content" }, content.node)] : []), this._form, this._status);
    this._form.addEventListener("input", () => this._edited());
    this._form.addEventListener("change", () => this._edited());
    this.addEventListener("keydown", (event) => this._onKey(event));
  }

  _edited() {
    if (this._checked) this._check();
    this.emit("gw-change");
  }

  _onKey(event) {
    const index = digitIndex(event);
    const group = event.target.closest?.(".gw-choices");
    if (index >= 0 && group && !isTyping(event.target)) {
      const option = group.querySelectorAll("input")[index];
      if (option) {
        event.preventDefault();
        option.click();
        option.focus();
      }
    } else if (event.key === "Enter" && !event.shiftKey && !event.altKey) {
      if (event.target.tagName === "TEXTAREA" && !event.ctrlKey && !event.metaKey) return;
      if (event.target.tagName === "BUTTON") return;
      event.preventDefault();
      this.submit();
    }
  }

  /** Resolve a local "$ref" (#/…); the server refused any other kind at task creation. */
  _resolve(schema, depth = 0) {
    if (!schema || typeof schema !== "object" || typeof schema.$ref !== "string" || depth > 20) return schema ?? {};
    let node = this._root;
    for (const part of schema.$ref.replace(/^#\/?/, "").split("/").filter(Boolean)) {
      node = node?.[decodeURIComponent(part).replace(/~1/g, "/").replace(/~0/g, "~")];
    }
    return this._resolve(node, depth + 1);
  }

  /** A field for `schema`: {node, read() → value or ABSENT, check(value) → [messages], write,
   * controls, error}; groups nested deeper than 8 (a recursive "$ref") become JSON. */
  _build(given, { name, required, jsonObject = false, depth = 0 }) {
    const schema = this._resolve(given);
    const id = nextId("gw-field");
    const title = schema.title ?? (name ? humanize(name) : "Answer");
    const helpId = schema.description ? `${id}-help` : null;
    const errorId = `${id}-error`;
    const error = h("p", { class: "gw-error", id: errorId, hidden: true });
    const help = helpId ? h("p", { class: "gw-help", id: helpId }, schema.description) : null;
    const describedBy = [helpId, errorId].filter(Boolean).join(" ");
    const badge = required && name ? h("span", { class: "gw-required" }, "required") : null;
    const field = { error, controls: [] };
    const choices = choicesOf(schema);
    const type = typeOf(schema);
    const control = (tag, attributes, ...children) => {
      const node = h(tag, { id, "aria-describedby": describedBy, ...attributes }, ...children);
      if (required) node.setAttribute("aria-required", "true");
      field.controls.push(node);
      return node;
    };
    const labelled = (node) => h("div", { class: "gw-field" }, h("label", { for: id }, title, " ", badge), help, node, error);
    const group = (options, multiple) => {
      const inputs = options.map((option, i) => {
        const input = h("input", { type: multiple ? "checkbox" : "radio", name: id, value: i, id: `${id}-${i}` });
        field.controls.push(input);
        return h("label", { class: "gw-option", for: input.id }, input, option.title, i < 9 ? h("kbd", { "aria-hidden": "true" }, i + 1) : null);
      });
      const attributes = { class: "gw-field gw-choices", "aria-describedby": describedBy };
      if (!multiple) Object.assign(attributes, { role: "radiogroup", "aria-required": required ? "true" : null });
      const node = h("fieldset", attributes, h("legend", {}, title, " ", badge), help, h("div", { class: "gw-options" }, inputs), error);
      return { node, inputs: inputs.map((label) => label.firstChild) };
    };

    if (choices && type !== "array") {
      if (choices.length <= 5) {
        const { node, inputs } = group(choices, false);
        Object.assign(field, {
          node,
          read: () => (inputs.some((input) => input.checked) ? choices[inputs.findIndex((input) => input.checked)].value : ABSENT),
          write: (value) => inputs.forEach((input, i) => (input.checked = same(choices[i].value, value))),
        });
      } else {
        const select = control("select", {}, h("option", { value: "" }, "Choose…"), choices.map((c, i) => h("option", { value: i }, c.title)));
        Object.assign(field, {
          node: labelled(select),
          read: () => (select.value === "" ? ABSENT : choices[Number(select.value)].value),
          write: (value) => {
            const i = choices.findIndex((c) => same(c.value, value));
            select.value = i < 0 ? "" : String(i);
          },
        });
      }
      field.check = (value) => (value !== ABSENT && !choices.some((c) => same(c.value, value)) ? ["not one of the choices"] : []);
    } else if (type === "boolean") {
      const box = control("input", { type: "checkbox" });
      Object.assign(field, {
        node: h("div", { class: "gw-field gw-check" }, box, h("label", { for: id }, title), help, error),
        read: () => box.checked,
        write: (value) => (box.checked = value === true),
        check: () => [],
      });
    } else if (type === "string") {
      const long = !(schema.maxLength <= 100) && !schema.format;
      const inputType = { email: "email", uri: "url", date: "date" }[schema.format] ?? "text";
      const limits = { maxlength: schema.maxLength, minlength: schema.minLength };
      const box = long ? control("textarea", { rows: 3, ...limits }) : control("input", { type: inputType, ...limits });
      Object.assign(field, {
        node: labelled(box),
        read: () => (box.value === "" ? ABSENT : box.value),
        write: (value) => (box.value = typeof value === "string" ? value : ""),
        check: (value) => {
          if (value === ABSENT) return [];
          const length = [...value].length; // code points, as JSON Schema counts
          if (schema.minLength != null && length < schema.minLength) return [`must be at least ${schema.minLength} characters`];
          if (schema.maxLength != null && length > schema.maxLength) return [`must be at most ${schema.maxLength} characters`];
          try {
            if (schema.pattern && !new RegExp(schema.pattern, "u").test(value)) return ["not in the expected form"];
          } catch { /* a pattern JavaScript cannot read: the server checks it */ }
          return [];
        },
      });
    } else if (type === "number" || type === "integer") {
      const step = schema.multipleOf ?? (type === "integer" ? 1 : "any");
      const box = control("input", { type: "number", inputmode: type === "integer" ? "numeric" : "decimal", min: schema.minimum, max: schema.maximum, step });
      Object.assign(field, {
        node: labelled(box),
        read: () => (box.value === "" && !box.validity.badInput ? ABSENT : box.valueAsNumber),
        write: (value) => (box.value = typeof value === "number" ? String(value) : ""),
        check: (value) => {
          if (value === ABSENT) return [];
          if (!Number.isFinite(value)) return ["must be a number"];
          if (type === "integer" && !Number.isInteger(value)) return ["must be a whole number"];
          for (const [key, bad, words] of BOUNDS) {
            if (typeof schema[key] === "number" && bad(value, schema[key])) return [`must be ${words} ${schema[key]}`];
          }
          return [];
        },
      });
    } else if (type === "array" && choicesOf(this._resolve(schema.items))) {
      const options = choicesOf(this._resolve(schema.items));
      const { node, inputs } = group(options, true);
      Object.assign(field, {
        node,
        read: () => options.filter((_, i) => inputs[i].checked).map((o) => o.value),
        write: (value) => inputs.forEach((input, i) => (input.checked = Array.isArray(value) && value.some((v) => same(v, options[i].value)))),
        check: (value) => {
          if (schema.minItems != null && value.length < schema.minItems) return [`choose at least ${schema.minItems}`];
          if (schema.maxItems != null && value.length > schema.maxItems) return [`choose at most ${schema.maxItems}`];
          return [];
        },
      });
    } else if (type === "object" && schema.properties && typeof schema.properties === "object" && depth < 8) {
      const needed = new Set(Array.isArray(schema.required) ? schema.required : []);
      const children = Object.entries(schema.properties).map(([key, sub]) => [key, this._build(sub, { name: key, required: needed.has(key), depth: depth + 1 })]);
      const body = children.map(([, child]) => child.node);
      const node = name
        ? h("fieldset", { class: "gw-field gw-group", "aria-describedby": describedBy }, h("legend", {}, title, " ", badge), help, body, error)
        : h("div", { class: "gw-fields" }, help, body, error);
      Object.assign(field, {
        node,
        children,
        read: () => {
          const object = {};
          for (const [key, child] of children) {
            const value = child.read();
            if (value !== ABSENT) object[key] = value;
          }
          // An optional group left untouched (unticked boxes at most) is left out.
          const untouched = Object.values(object).every((v) => v === false || (Array.isArray(v) && !v.length));
          return !required && name && untouched ? ABSENT : object;
        },
        write: (value) => children.forEach(([key, child]) => child.write(value && typeof value === "object" ? value[key] : undefined)),
        check: () => [],
      });
    } else {
      // Any other schema: JSON text (an object at the root when the task has no schema).
      const box = control("textarea", { rows: 6, class: "gw-json", spellcheck: "false" });
      const mustBeObject = jsonObject || type === "object";
      Object.assign(field, {
        node: labelled(box),
        read: () => {
          if (box.value.trim() === "") return ABSENT;
          try {
            return JSON.parse(box.value);
          } catch (problem) {
            return new SyntaxError(problem.message);
          }
        },
        write: (value) => (box.value = value === undefined ? "" : JSON.stringify(value, null, 2)),
        check: (value) => {
          if (value instanceof SyntaxError) return [`not valid JSON (${value.message})`];
          const isObject = value !== null && typeof value === "object" && !Array.isArray(value);
          return mustBeObject && !isObject ? ["must be a JSON object ({…})"] : [];
        },
      });
    }
    Object.assign(field, { required, name, title });
    if (schema.default !== undefined) field.write(schema.default);
    return field;
  }

  /** Every problem of the form as [field, message], innermost first. */
  _problems(field = this._field, value = field.read()) {
    const problems = [];
    if (value === ABSENT) {
      if (field.required) problems.push([field, "required"]);
      return problems; // an optional group left out: its own fields are not asked for
    }
    for (const message of field.check(value)) problems.push([field, message]);
    for (const [, child] of field.children ?? []) problems.push(...this._problems(child));
    return problems;
  }

  /** Validate, put each message next to its field (aria-invalid) and say how many. */
  _check() {
    const problems = this._problems();
    const byField = new Map();
    for (const [field, message] of problems) if (!byField.has(field)) byField.set(field, message);
    const visit = (field) => {
      const message = byField.get(field);
      field.error.hidden = !message;
      field.error.textContent = message ? `${field.title}: ${message}.` : "";
      field.controls.forEach((control) => control.toggleAttribute("aria-invalid", Boolean(message)));
      field.node.toggleAttribute("data-invalid", Boolean(message));
      (field.children ?? []).forEach(([, child]) => visit(child));
    };
    visit(this._field);
    this._status.textContent = problems.length ? `${problems.length} field${problems.length > 1 ? "s need" : " needs"} attention.` : "";
    return problems;
  }

  currentValue() {
    if (this._problems().length) return null;
    const value = this._field.read();
    return value === ABSENT ? null : value;
  }

  restore(answer) {
    this._field.write(answer ?? undefined);
  }

  reportValidity() {
    this._checked = true;
    const problems = this._check();
    if (problems.length) problems[0][0].controls[0]?.focus();
    return problems.length === 0;
  }

  focus(options) {
    this._form?.querySelector("input, select, textarea")?.focus(options);
  }
}

customElements.define("gw-schema-form", GwSchemaForm);
