// The host page of a template's frame (labeling/console/template_frames.py): relays the frame's
// messages (its answer, its height) to the console, which checks them as its own frame's. Only
// this page's own frame is heard; messages go only to the console's origin (this page's).
import { frameMessage } from "./elements/shared.js";

const frame = document.querySelector("iframe");

window.addEventListener("message", (event) => {
  const data = frameMessage(event, frame);
  if (data) window.parent.postMessage(data, location.origin);
});
