// <gw-template-frame>: a task of a job with a custom template (docs/templates.md). The template
// is served by /console/templates/assignments/<id>/frame into a sandboxed frame (opaque origin:
// none of the console's cookies, no API; a CSP keeping it off the network), held by the
// console's /host page, whose frame-src lets it go nowhere else; the host relays the frame's
// answer here, and only messages from this element's own frame count. The element's value is
// the frame's latest answer; the frame's submit (its form, or a task element's) submits it.
import { frameMessage, h, TaskElement } from "./shared.js";

const MAX_HEIGHT = 4000;

export class GwTemplateFrame extends TaskElement {
  constructor() {
    super();
    this._answer = null;
    this._onMessage = (event) => this.onMessage(event);
  }

  get assignmentId() { return this._assignmentId ?? null; }
  set assignmentId(id) { this._assignmentId = id; }

  build() {
    this._status = this.liveRegion();
    if (this.assignmentId == null) {
      this.append(h("p", { class: "gw-status" }, "The requester's template is shown here while you work on the task."));
    } else {
      this._frame = h("iframe", {
        class: "gw-template-frame",
        title: "The task",
        src: `/console/templates/assignments/${encodeURIComponent(this.assignmentId)}/host`,
        referrerpolicy: "no-referrer",
      });
      this._frame.style.width = "100%";
      this._frame.style.border = "0";
      this._frame.style.height = "480px";
      this._frame.addEventListener("load", () => this._resolveReady(), { once: true });
      window.addEventListener("message", this._onMessage);
      this.append(this._frame);
    }
    this.append(this._status);
    if (!this._frame) this._resolveReady();
  }

  disconnectedCallback() {
    window.removeEventListener("message", this._onMessage);
  }

  /** Only this frame's messages about this assignment count (a sandboxed frame's origin is "null"). */
  onMessage(event) {
    const data = frameMessage(event, this._frame, this.assignmentId);
    if (!data) return;
    if (data.type === "gw-template-size" && Number.isFinite(data.height)) {
      this._frame.style.height = `${Math.min(Math.max(Number(data.height), 120), MAX_HEIGHT)}px`;
      this._frame.dataset.sized = "true";
      return;
    }
    if (!data.answer || typeof data.answer !== "object" || Array.isArray(data.answer)) return;
    this._answer = data.answer;
    this._status.textContent = "";
    this.emit("gw-change");
    if (data.type === "gw-template-submit") this.emit("gw-submit");
  }

  currentValue() { return this._answer; }

  restore() { /* the template keeps its own state; a draft is not pushed back into it */ }

  reportValidity() {
    if (this._answer) return true;
    this._status.textContent = "Answer in the task's page first.";
    return false;
  }

  focus(options) { this._frame?.focus(options); }
}

customElements.define("gw-template-frame", GwTemplateFrame);
