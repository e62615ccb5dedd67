// History: my assignments, newest first, with status, reward and feedback on rejections.
import { apiAll, fill, h, money, refusalText, when } from "./console.js";

const STATUS = { accepted: "in progress", submitted: "waiting for approval", approved: "approved", rejected: "rejected",
  returned: "skipped", expired: "expired" };

async function load() {
  const target = document.getElementById("history");
  try {
    const rows = (await apiAll("assignments", 5000)).reverse();
    if (!rows.length) return fill(target, h("p", { class: "muted" }, "Nothing yet."));
    fill(target, h("div", { class: "table-wrap" }, h("table", {},
      h("thead", {}, h("tr", {}, ["Task", "Status", "Reward", "Submitted", "Feedback"].map((text) => h("th", { scope: "col", class: text === "Reward" ? "num" : null }, text)))),
      h("tbody", {}, rows.map((row) => h("tr", {},
        h("td", {}, row.title),
        h("td", { class: `status-${row.status}` }, STATUS[row.status] || row.status,
          row.status === "submitted" && row.auto_approve_at ? h("div", { class: "hint" }, `approved automatically on ${when(row.auto_approve_at, { withTime: false })}`) : null),
        h("td", { class: "num" }, money(row.reward)),
        h("td", {}, when(row.submitted_at)),
        h("td", {}, row.status === "rejected" ? row.feedback || "(no feedback given)" : "")))))));
  } catch (error) {
    fill(target, h("p", { class: "bad" }, refusalText(error.code, error.message)));
  }
}

load();
