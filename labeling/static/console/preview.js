// The portal's "preview as a worker": the task rendered exactly as on the working page, with
// nothing sent anywhere (Submit shows the answer a worker's console would send).
import { fill, money, notify } from "./console.js";
import { renderMarkdown } from "./markdown.js";
import { createTaskUI } from "./task-ui.js";

const task = JSON.parse(document.getElementById("preview-task").textContent);
const $ = (id) => document.getElementById(id);

function show(value) {
  if (value === null || value === undefined) return notify($("message"), "A worker must choose an answer first.");
  notify($("message"), "The answer a worker would submit (not sent):", "good");
  $("answer").textContent = JSON.stringify(value, null, 2);
  $("answer").hidden = false;
}

async function render() {
  fill($("task-title"), task.title || "Task");
  $("task-reward").textContent = task.reward ? `${money(task.reward)} reward` : "";
  fill($("instructions-body"), renderMarkdown(task.instructions || task.description || ""));
  $("instructions").hidden = !(task.instructions || task.description);
  const element = await createTaskUI(task);
  element.addEventListener("gw-submit", (event) => show(event.detail.value));
  fill($("task-ui"), element);
  $("submit").addEventListener("click", () => show(element.value));
  element.focus();
}

render();
