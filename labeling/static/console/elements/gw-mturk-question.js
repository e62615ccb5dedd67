// <gw-mturk-question>: a Mechanical Turk question (task type `mturk_question`, docs/aws.md).
// An HTMLQuestion or ExternalQuestion is shown in a sandboxed frame from
// /console/mturk/assignments/<id>/frame (never same-origin with the console for an
// HTMLQuestion); its own form posts to Groundwork's externalSubmit, which records the answer
// and tells this element (postMessage, checked to come from the frame), which then submits the
// same answer (the server acknowledges an identical re-submission). A QuestionForm is drawn as
// a plain form: {QuestionIdentifier: text or the chosen SelectionIdentifier(s) joined by "|"}.
import { frameMessage, h, nextId, TaskElement } from "./shared.js";

const FRAME_SANDBOX = {
  HTMLQuestion: "allow-forms allow-scripts allow-popups allow-modals",
  // The requester's own origin, not the console's: same-origin here is the requester's site.
  ExternalQuestion: "allow-forms allow-scripts allow-popups allow-modals allow-same-origin",
};

export class GwMturkQuestion extends TaskElement {
  constructor() {
    super();
    this._answer = null;
    this._onMessage = (event) => this.onMessage(event);
  }

  /** The assignment the frame belongs to (set by createTaskElement from the task message). */
  get assignmentId() {
    return this._assignmentId ?? null;
  }

  set assignmentId(id) {
    this._assignmentId = id;
  }

  build() {
    const input = this.input || {};
    this._status = this.liveRegion();
    if (input.question_type in FRAME_SANDBOX) this.buildFrame(input);
    else if (input.question_type === "QuestionForm") this.buildForm(input.questions || []);
    else this.append(h("p", { class: "gw-status" }, "This question cannot be shown."));
    this.append(this._status);
    this._resolveReady();
  }

  buildFrame(input) {
    if (this.assignmentId == null) {
      this.append(h("p", { class: "gw-status" }, "The requester's page is shown here while you work on the task."));
      return;
    }
    this._frame = h("iframe", {
      class: "gw-mturk-frame",
      title: "The task's page",
      src: `/console/mturk/assignments/${encodeURIComponent(this.assignmentId)}/frame`,
      sandbox: FRAME_SANDBOX[input.question_type],
      referrerpolicy: "no-referrer",
    });
    this._frame.style.height = `${Number(input.frame_height) || 600}px`;
    window.addEventListener("message", this._onMessage);
    this.append(this._frame);
  }

  buildForm(questions) {
    this._form = h("form", { class: "gw-mturk-form", novalidate: true });
    for (const question of questions) {
      const id = nextId("gw-q");
      const block = h("fieldset", { class: "gw-mturk-question" }, h("legend", {}, question.text || question.name || question.id));
      if (question.kind === "selection") {
        for (const option of question.options || []) {
          const optionId = nextId("gw-q");
          block.append(h("div", { class: "gw-mturk-option" },
            h("input", { type: question.multiple ? "checkbox" : "radio", id: optionId, name: question.id, value: option.id, required: question.required && !question.multiple }),
            h("label", { for: optionId }, option.text || option.id)));
        }
      } else {
        block.append(h("textarea", { id, name: question.id, rows: 3, required: question.required, "aria-label": question.text || question.id }));
      }
      this._form.append(block);
    }
    this._form.addEventListener("input", () => this.emit("gw-change"));
    this._form.addEventListener("submit", (event) => { event.preventDefault(); this.submit(); });
    this.append(this._form);
  }

  disconnectedCallback() {
    window.removeEventListener("message", this._onMessage);
  }

  /** Only the frame's own messages count: the answer externalSubmit recorded, or its refusal. */
  onMessage(event) {
    const data = frameMessage(event, this._frame, this.assignmentId);
    if (!data) return;
    if (data.type === "gw-mturk-submitted" && data.answer && typeof data.answer === "object") {
      this._answer = data.answer;
      this.emit("gw-change");
      this.emit("gw-submit");
    } else if (data.type === "gw-mturk-refused") {
      this._status.textContent = `Not accepted (${data.code}).`;
    }
  }

  currentValue() {
    if (this._frame) return this._answer;
    if (!this._form) return null;
    const answer = {};
    for (const element of this._form.elements) {
      if (!element.name) continue;
      if ((element.type === "radio" || element.type === "checkbox") && !element.checked) {
        if (!(element.name in answer)) answer[element.name] = "";
        continue;
      }
      answer[element.name] = answer[element.name] ? `${answer[element.name]}|${element.value}` : element.value;
    }
    return answer;
  }

  restore(answer) {
    if (this._frame || !this._form || !answer) return;
    for (const element of this._form.elements) {
      const given = answer[element.name];
      if (typeof given !== "string") continue;
      if (element.type === "radio" || element.type === "checkbox") element.checked = given.split("|").includes(element.value);
      else element.value = given;
    }
  }

  reportValidity() {
    if (this._frame) {
      if (this._answer) return true;
      this._status.textContent = "Use the submit button inside the task's page.";
      return false;
    }
    return this._form ? this._form.reportValidity() : false;
  }

  focus(options) {
    (this._frame || this._form?.querySelector("input, textarea"))?.focus(options);
  }
}

customElements.define("gw-mturk-question", GwMturkQuestion);
