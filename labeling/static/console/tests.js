// Qualification tests: the list, taking one (questions with labels use the classification
// element; others a text answer), and the result.
import { api, apiAll, fill, h, notify, refusalText, when } from "./console.js";
import { createTaskUI } from "./task-ui.js";

const list = document.getElementById("tests");
const panel = document.getElementById("test");
const message = document.getElementById("message");

async function loadList() {
  const tests = await apiAll("qualification-tests");
  if (!tests.length) return fill(list, h("p", { class: "muted" }, "No tests for you right now."));
  fill(list, h("ul", { class: "list" }, tests.map((test) => h("li", {},
    h("span", { class: "grow" }, h("strong", {}, test.name), h("div", { class: "hint" }, test.description || ""),
      h("div", { class: "hint" }, `${test.question_count} questions · pass at ${test.passing_score} %`)),
    test.held_value !== null ? h("span", { class: "pill live" }, `Passed (${test.held_value} %)`)
      : test.retry_at ? h("span", { class: "hint" }, `retake after ${when(test.retry_at)}`)
        : h("button", { type: "button", onclick: () => openTest(test.id) }, `Take test: ${test.name}`)))));
}

function labelsOf(input) {
  return input && typeof input === "object" && Array.isArray(input.labels) ? input.labels.map(String) : null;
}

async function openTest(id) {
  notify(message, "");
  let test;
  try { test = await api("GET", `qualification-tests/${id}`); } catch (error) { return notify(message, refusalText(error.code, error.message), "error"); }
  const answers = [];
  const questions = [];
  for (const [index, question] of test.questions.entries()) {
    const labels = labelsOf(question.input);
    let control;
    if (labels) {
      control = await createTaskUI({ task_type: "custom", input: question.input, labels, title: `Question ${index + 1}` });
      answers.push(() => control.value);
    } else {
      const inputView = typeof question.input === "string" ? question.input : JSON.stringify(question.input, null, 2);
      const box = h("input", { type: "text", "aria-label": `Answer to question ${index + 1}`, autocomplete: "off" });
      control = h("div", {}, h("pre", {}, inputView), box);
      answers.push(() => box.value);
    }
    questions.push(h("div", { class: "question" }, h("h3", {}, `Question ${index + 1}`), control));
  }
  const submit = h("button", { type: "submit" }, "Submit answers");
  const form = h("form", { novalidate: true }, questions, submit);
  form.addEventListener("gw-submit", (event) => event.stopPropagation());
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const values = answers.map((read) => read());
    if (values.some((value) => value === null || value === "")) return notify(message, "Answer every question first.", "error");
    submit.disabled = true;
    try {
      const result = await api("POST", `qualification-tests/${id}/answers`, { answers: values });
      fill(panel, h("h2", { id: "test-title" }, test.name), h("p", { class: result.passed ? "good" : "bad", role: "status" },
        result.passed ? `Passed with ${result.score} %: you now hold this qualification.`
          : `Not passed: ${result.score} % (${test.passing_score} % needed).${result.retry_at ? ` You may try again after ${when(result.retry_at)}.` : ""}`));
      await loadList();
    } catch (error) {
      submit.disabled = false;
      notify(message, refusalText(error.code, error.message, error.fields), "error");
    }
  });
  fill(panel, h("h2", { id: "test-title" }, test.name), h("p", { class: "muted" }, test.description || ""), form);
  panel.hidden = false;
  panel.scrollIntoView();
}

loadList().then(() => {
  const match = /^#test-(\d+)$/.exec(location.hash);
  if (match) openTest(Number(match[1]));
}).catch((error) => fill(list, h("p", { class: "bad" }, refusalText(error.code, error.message))));
