// Home: earnings (available, pending approval with its automatic approval date, paid out) and
// a payout request; work available now; live assignments; invitations; qualification tests.
import { api, apiAll, duration, fill, h, money, notify, refusalText, when } from "./console.js";

const $ = (id) => document.getElementById(id);
const field = (name) => document.querySelector(`[data-field="${name}"]`);
const notice = $("notice");

function table(headings, rows, empty) {
  if (!rows.length) return h("p", { class: "muted" }, empty);
  return h("div", { class: "table-wrap" }, h("table", {},
    h("thead", {}, h("tr", {}, headings.map(([text, cls]) => h("th", { class: cls, scope: "col" }, text)))),
    h("tbody", {}, rows)));
}

async function loadMe() {
  const me = await api("GET", "me");
  field("earnings").textContent = money(me.earnings);
  field("pending").textContent = money(me.pending);
  field("paid_out").textContent = money(me.paid_out);
  const hint = field("pending_hint");
  if (me.pending_last_auto_approval_at) {
    const first = when(me.pending_next_auto_approval_at, { withTime: false });
    const last = when(me.pending_last_auto_approval_at, { withTime: false });
    hint.textContent = first === last ? `approved automatically on ${last}` : `approved automatically from ${first} to ${last}`;
  } else hint.textContent = "nothing waiting for approval";
  $("earnings").removeAttribute("aria-busy");
  $("payout-amount").value = Number(me.earnings) > 0 ? me.earnings : "";
  const live = me.live_assignments.map((task) => h("tr", {},
    h("td", {}, task.title), h("td", { class: "num" }, money(task.reward)), h("td", {}, when(task.deadline))));
  fill($("live"), table([["Task"], ["Reward", "num"], ["Deadline"]], live, "None: start working to get a task."),
    me.live_assignments.length ? h("p", {}, h("a", { href: "/console/work" }, "Continue working")) : null);
}

async function loadAvailable() {
  const groups = (await api("GET", "available-work")).results;
  const rows = groups.map((group) => h("tr", {},
    h("td", {}, h("strong", {}, group.title), h("div", { class: "hint" },
      h("a", { href: `/console/requesters/${group.requester_id}` }, group.requester_name), ` · ${group.workteam_name}`)),
    h("td", { class: "num" }, money(group.reward)),
    h("td", { class: "num" }, String(group.open_tasks)),
    h("td", {}, duration(group.assignment_duration_seconds))));
  fill($("available"), table([["Work"], ["Reward", "num"], ["Open tasks", "num"], ["Time allowed"]], rows,
    "No work is open for you right now. Leave the Work page open: tasks are pushed to you as they appear."));
}

async function loadInvitations() {
  const pending = (await apiAll("invitations")).filter((invitation) => invitation.status === "pending");
  const items = pending.map((invitation) => h("li", {},
    h("span", { class: "grow" }, "Join ", h("strong", {}, invitation.workteam_name)),
    h("button", { type: "button", onclick: (event) => accept(invitation, event.target) }, `Accept invitation to ${invitation.workteam_name}`)));
  fill($("invitations"), items.length ? h("ul", { class: "list" }, items) : h("p", { class: "muted" }, "No invitations."));
}

async function accept(invitation, button) {
  button.disabled = true;
  try {
    await api("POST", `invitations/${invitation.id}/accept`);
    notify(notice, `You joined ${invitation.workteam_name}.`, "good");
    await Promise.all([loadInvitations(), loadAvailable()]);
  } catch (error) {
    button.disabled = false;
    notify(notice, refusalText(error.code, error.message, error.fields), "error");
  }
}

async function loadTests() {
  const tests = await apiAll("qualification-tests");
  const items = tests.filter((test) => test.held_value === null).map((test) => h("li", {},
    h("span", { class: "grow" }, h("strong", {}, test.name), " ", h("span", { class: "hint" }, `${test.question_count} questions, pass at ${test.passing_score} %`)),
    test.retry_at ? h("span", { class: "hint" }, `retake after ${when(test.retry_at)}`)
      : h("a", { class: "button secondary", href: `/console/tests#test-${test.id}` }, `Take test: ${test.name}`)));
  fill($("tests"), items.length ? h("ul", { class: "list" }, items) : h("p", { class: "muted" }, "No tests to take."));
}

$("payout").addEventListener("submit", async (event) => {
  event.preventDefault();
  const amount = $("payout-amount").value.trim();
  try {
    const payout = await api("POST", "payouts", { amount });
    notify(notice, `Payout of ${money(payout.amount)} requested.`, "good");
    await loadMe();
  } catch (error) {
    notify(notice, refusalText(error.code, error.message, error.fields), "error");
  }
});

function guard(promise, where) {
  return promise.catch((error) => { fill(where, h("p", { class: "bad" }, refusalText(error.code, error.message))); });
}

guard(loadMe(), $("live"));
guard(loadAvailable(), $("available"));
guard(loadInvitations(), $("invitations"));
guard(loadTests(), $("tests"));
