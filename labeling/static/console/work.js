// The working page: a websocket client of /ws/worker/ (docs/realtime.md, docs/console.md).
//
// State kept in the page: `tasks` (assignment id → task message, in arrival order), the one
// shown (`current`), answers sent and not yet acknowledged (`inFlight`), and drafts in
// sessionStorage keyed by assignment, until the server acknowledges them. A dropped socket
// reconnects by itself with a fresh ticket; on reconnect the server re-sends every live
// assignment (deduplicated here), and every answer still in flight is sent again: the server
// answers an identical re-submission with `ack` and stores nothing twice.
import { api, fill, h, money, notify, refusalText } from "./console.js";
import { renderMarkdown } from "./markdown.js";
import { createTaskUI, prefetch } from "./task-ui.js";

const PREFETCH = 2;  // tasks held in the page: the one shown and the next, already loaded
const $ = (id) => document.getElementById(id);
const ui = {
  connection: $("connection"), message: $("message"), startPanel: $("start-panel"), start: $("start"), idle: $("idle"),
  task: $("task"), title: $("task-title"), reward: $("task-reward"), countdown: $("countdown"),
  instructions: $("instructions"), instructionsBody: $("instructions-body"), slot: $("task-ui"),
  submit: $("submit"), skip: $("skip"), queue: $("queue"),
};

const tasks = new Map();
const inFlight = new Map();  // assignment id → {type: "submit"|"return", answer}
let current = null;          // {task, element}
let socket = null;
let started = false;
let readyOutstanding = false;
let retryDelay = 500;
let refs = 0;
let showing = null;          // a promise while a task's element is being built

const draftKey = (id) => `gw-draft-${id}`;
const readDraft = (id) => { try { return JSON.parse(sessionStorage.getItem(draftKey(id))); } catch { return null; } };
const saveDraft = (id, value) => { try { sessionStorage.setItem(draftKey(id), JSON.stringify(value)); } catch { /* full or private mode */ } };
const dropDraft = (id) => sessionStorage.removeItem(draftKey(id));

function setConnection(text, kind = "") {
  ui.connection.textContent = text;
  ui.connection.className = `pill ${kind}`.trim();
}

function say(text, kind = "error") { notify(ui.message, text, kind); }

// --- the socket ------------------------------------------------------------------------------
async function connect() {
  setConnection("Connecting…", "warn");
  let ticket;
  try {
    ticket = (await api("POST", "ws-ticket")).ticket;
  } catch (error) {
    if (error.status === 401 || error.status === 403) { setConnection("Signed out", "bad"); return; }
    return reconnectLater();
  }
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const opened = new WebSocket(`${scheme}://${location.host}/ws/worker/?ticket=${encodeURIComponent(ticket)}`);
  socket = opened;
  opened.addEventListener("open", () => {
    retryDelay = 500;
    readyOutstanding = false;
    setConnection("Connected", "live");
    // Answers that were sent but not acknowledged before the drop: send them again.
    for (const [id, pending] of inFlight) send(pending.type === "submit" ? { type: "submit", assignment_id: id, answer: pending.answer } : { type: "return", assignment_id: id });
    askForWork();
  });
  opened.addEventListener("message", (event) => { if (socket === opened) receive(JSON.parse(event.data)); });
  opened.addEventListener("close", (event) => {
    if (socket !== opened) return;
    socket = null;
    readyOutstanding = false;
    if (event.code === 4401) setConnection("Signing in again…", "warn");
    reconnectLater();
  });
}

function reconnectLater() {
  setConnection("Connection lost: reconnecting…", "bad");
  setTimeout(connect, retryDelay);
  retryDelay = Math.min(retryDelay * 2, 5000);
}

function send(message) {
  if (!socket || socket.readyState !== WebSocket.OPEN) return false;
  socket.send(JSON.stringify({ ref: ++refs, ...message }));
  return true;
}

function askForWork() {
  if (!started || readyOutstanding || tasks.size >= PREFETCH) return;
  if (send({ type: "ready" })) readyOutstanding = true;
}

function receive(message) {
  switch (message.type) {
    case "task": return onTask(message);
    case "idle": if (!tasks.size) { ui.idle.hidden = false; ui.task.hidden = true; } return;
    case "ack": return onAck(message.assignment_id);
    case "expired": return finish(message.assignment_id, "Time ran out for this task: it went back to the pool and your answer was not recorded.");
    case "error": return onError(message);
    default: return;
  }
}

function onTask(task) {
  if (!tasks.has(task.assignment_id)) tasks.set(task.assignment_id, task);
  if (task.ref !== undefined && task.ref !== null) readyOutstanding = false;
  ui.idle.hidden = true;
  if (!current) showNext();
  else prefetch(task);
  updateQueue();
  askForWork();
}

function onAck(id) {
  const pending = inFlight.get(id);
  inFlight.delete(id);
  dropDraft(id);
  if (pending && pending.type === "submit") say("Submitted.", "good");
  else if (pending) say("Skipped.", "");
  finish(id, null);
}

function onError(message) {
  const id = message.assignment_id;
  const text = refusalText(message.code, message.message, message.fields);
  if (message.code === "too_many_live_assignments" || (message.code === "rate_limited" && !id)) {
    readyOutstanding = false;
    if (message.code === "rate_limited") setTimeout(askForWork, 2000);
    if (!tasks.size) say(text);
    return;
  }
  if (id && inFlight.has(id)) inFlight.delete(id);
  if (["deadline_passed", "already_submitted", "not_live", "task_closed", "not_found"].includes(message.code) && id) {
    dropDraft(id);
    return finish(id, text);
  }
  say(text);
  setBusy(false);
  current && current.element.focus();
}

/** The assignment is over (acknowledged, refused for good, or expired): show the next. */
function finish(id, text) {
  if (!tasks.has(id)) return;
  tasks.delete(id);
  inFlight.delete(id);
  if (text) say(text);
  if (current && current.task.assignment_id === id) {
    current = null;
    showNext();
  }
  updateQueue();
  askForWork();
}

// --- showing a task --------------------------------------------------------------------------
async function showNext() {
  const next = tasks.values().next().value;
  if (!next) {
    ui.task.hidden = true;
    ui.idle.hidden = !started;
    stopCountdown();
    return;
  }
  const build = (showing = createTaskUI(next, readDraft(next.assignment_id)));
  const element = await build;
  if (showing !== build || !tasks.has(next.assignment_id)) return;
  current = { task: next, element };
  fill(ui.title, next.title || "Task");
  ui.reward.textContent = next.reward ? `${money(next.reward)} reward` : "";
  fill(ui.instructionsBody, renderMarkdown(next.instructions || next.description || ""));
  ui.instructions.hidden = !(next.instructions || next.description);
  element.addEventListener("gw-change", (event) => saveDraft(next.assignment_id, event.detail.value));
  element.addEventListener("gw-submit", (event) => { event.stopPropagation(); submit(event.detail.value); });
  fill(ui.slot, element);
  ui.task.hidden = false;
  ui.idle.hidden = true;
  setBusy(inFlight.has(next.assignment_id));
  startCountdown(next);
  element.focus();
  for (const other of tasks.values()) if (other !== next) prefetch(other);
  updateQueue();
}

function setBusy(busy) {
  ui.submit.disabled = busy;
  ui.skip.disabled = busy;
}

function updateQueue() {
  const waiting = tasks.size - (current ? 1 : 0);
  ui.queue.textContent = waiting > 0 ? `Next task ready (${waiting})` : "";
}

function submit(value) {
  if (!current) return;
  const id = current.task.assignment_id;
  if (inFlight.has(id)) return;  // one answer per assignment: a second press sends nothing
  const answer = value === undefined ? current.element.value : value;
  if (answer === null || answer === undefined) {
    say("Choose an answer first.", "");
    // The element says what is missing next to the field (a form focuses that field); keys
    // must reach the task either way.
    current.element.reportValidity?.();
    if (!current.element.contains(document.activeElement)) current.element.focus();
    return;
  }
  saveDraft(id, answer);
  inFlight.set(id, { type: "submit", answer });
  setBusy(true);
  notify(ui.message, "");
  send({ type: "submit", assignment_id: id, answer });  // if the socket is down, sent on reconnect
}

function skip() {
  if (!current) return;
  const id = current.task.assignment_id;
  if (inFlight.has(id)) return;
  inFlight.set(id, { type: "return" });
  setBusy(true);
  send({ type: "return", assignment_id: id });
}

// --- countdown -------------------------------------------------------------------------------
let ticker = null;
function startCountdown(task) {
  stopCountdown();
  const deadline = Date.parse(task.deadline);
  const tick = () => {
    const left = Math.round((deadline - Date.now()) / 1000);
    if (left <= 0) {
      ui.countdown.textContent = "Time is up";
      ui.countdown.className = "pill bad";
      return;
    }
    const h_ = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
    ui.countdown.textContent = `${h_ ? `${h_}:${String(m).padStart(2, "0")}` : m}:${String(s).padStart(2, "0")} left`;
    ui.countdown.className = left <= 60 ? "pill warn" : "pill";
    ui.countdown.setAttribute("aria-label", `${left} seconds left`);
  };
  tick();
  ticker = setInterval(tick, 1000);
}
function stopCountdown() { if (ticker) clearInterval(ticker); ticker = null; }

// --- controls --------------------------------------------------------------------------------
ui.start.addEventListener("click", () => {
  if (started) return;
  started = true;
  ui.startPanel.hidden = true;
  ui.idle.hidden = false;
  connect();
});
ui.submit.addEventListener("click", () => submit());
ui.skip.addEventListener("click", () => skip());
document.addEventListener("keydown", (event) => {
  if (!started && event.key === "Enter" && document.activeElement === document.body) { ui.start.click(); return; }
  if (event.altKey && event.code === "KeyS") { event.preventDefault(); skip(); }
  else if (event.altKey && event.code === "KeyI") {
    event.preventDefault();
    ui.instructions.open = !ui.instructions.open;
  }
});
ui.start.focus();
