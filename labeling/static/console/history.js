// History: my assignments, newest first, with status, reward and the feedback on rejections. A
// rejected one can be appealed once, within 14 days of the rejection (POST assignments/{id}/appeal);
// each appeal's state and the requester's reply show on its row (GET appeals). Requesters' text
// (titles, feedback, replies) is built as text nodes, never as HTML.
import { api, apiAll, fill, h, money, notify, refusalText, when } from "./console.js";

const STATUS = { accepted: "in progress", submitted: "waiting for approval", approved: "approved", rejected: "rejected",
  returned: "skipped", expired: "expired" };
const APPEAL_WINDOW_MS = 14 * 86400 * 1000; // services.appeals.APPEAL_WINDOW
const MAX_APPEAL_LENGTH = 2000; // services.appeals.MAX_APPEAL_MESSAGE_LENGTH
const APPEAL_STATUS = {
  open: "Appeal sent: waiting for the requester",
  accepted: "Appeal accepted: approved and paid",
  declined: "Appeal declined: the rejection stands",
};

/** The appeal cell of a row: the appeal's state, the Appeal button, or why there is none. */
function showAppeal(cell, row, appeal) {
  if (appeal) {
    return fill(cell, h("div", { class: `appeal-state appeal-${appeal.status}`, "data-appeal-status": appeal.status },
      h("strong", {}, APPEAL_STATUS[appeal.status] || appeal.status),
      appeal.reply ? h("div", { class: "appeal-reply" }, `Reply: ${appeal.reply}`) : null,
      h("div", { class: "hint" }, appeal.decided_at ? `decided ${when(appeal.decided_at)}` : `sent ${when(appeal.created_at)}`)));
  }
  if (row.status !== "rejected" || !row.rejected_at) return fill(cell);
  const closes = new Date(new Date(row.rejected_at).getTime() + APPEAL_WINDOW_MS);
  if (Date.now() > closes.getTime()) return fill(cell, h("span", { class: "hint" }, "Appeals closed 14 days after the rejection"));
  return fill(cell,
    h("button", { type: "button", class: "secondary", "data-appeal-open": row.id, onclick: () => showForm(cell, row) }, "Appeal"),
    h("div", { class: "hint" }, `until ${when(closes.toISOString(), { withTime: false })}`));
}

function showForm(cell, row) {
  const text = h("textarea", { name: "message", rows: 4, maxlength: MAX_APPEAL_LENGTH, id: `appeal-message-${row.id}` });
  const status = h("div", { class: "notice", hidden: true, role: "alert" });
  const send = h("button", { type: "submit" }, "Send appeal");
  const form = h("form", { class: "appeal-form", "data-appeal-form": row.id, onsubmit: (event) => submit(event) },
    h("label", { for: text.id }, "Why should this answer be approved? The requester reads it; you can appeal once."),
    text, status,
    h("div", { class: "actions" }, send,
      h("button", { type: "button", class: "secondary", onclick: () => showAppeal(cell, row, null) }, "Cancel")));

  async function submit(event) {
    event.preventDefault();
    send.disabled = true;
    try {
      showAppeal(cell, row, await api("POST", `assignments/${row.id}/appeal`, { message: text.value }));
    } catch (error) {
      const words = error.code === "invalid" && error.fields.message
        ? `Your message ${[].concat(error.fields.message).join(" ")}.` : refusalText(error.code, error.message);
      notify(status, words, "error");
      send.disabled = false;
      text.focus();
    }
  }

  fill(cell, form);
  text.focus();
}

async function load() {
  const target = document.getElementById("history");
  try {
    const [rows, appeals] = await Promise.all([apiAll("assignments", 5000), apiAll("appeals", 5000)]);
    rows.reverse();
    const appealOf = new Map(appeals.map((appeal) => [appeal.assignment_id, appeal]));
    if (!rows.length) return fill(target, h("p", { class: "muted" }, "Nothing yet."));
    fill(target, h("div", { class: "table-wrap" }, h("table", {},
      h("thead", {}, h("tr", {}, ["Task", "Status", "Reward", "Submitted", "Feedback", "Appeal"].map((text) => h("th", { scope: "col", class: text === "Reward" ? "num" : null }, text)))),
      h("tbody", {}, rows.map((row) => {
        const appealCell = h("td", { class: "appeal-cell" });
        showAppeal(appealCell, row, appealOf.get(row.id));
        return h("tr", { "data-assignment-id": row.id },
          h("td", {}, row.title,
            h("div", { class: "hint" }, h("a", { href: `/console/requesters/${row.requester_id}` }, "requester's profile"))),
          h("td", { class: `status-${row.status}` }, STATUS[row.status] || row.status,
            row.status === "submitted" && row.auto_approve_at ? h("div", { class: "hint" }, `approved automatically on ${when(row.auto_approve_at, { withTime: false })}`) : null),
          h("td", { class: "num" }, money(row.reward)),
          h("td", {}, when(row.submitted_at)),
          h("td", {}, row.status === "rejected" ? row.feedback || "(no feedback given)" : appealOf.has(row.id) ? appealOf.get(row.id).rejection_feedback : ""),
          appealCell);
      })))));
  } catch (error) {
    fill(target, h("p", { class: "bad" }, refusalText(error.code, error.message)));
  }
}

load();
