// Messages: what requesters wrote to me (GET /api/v1/worker/messages), newest first. Subjects
// and bodies are the requesters' text: built as text nodes, never as HTML.
import { apiAll, fill, h, refusalText, when } from "./console.js";

async function load() {
  const target = document.getElementById("messages");
  try {
    const rows = (await apiAll("messages", 2000)).reverse();
    if (!rows.length) return fill(target, h("p", { class: "muted" }, "No messages yet."));
    fill(target, h("ol", { class: "messages" }, rows.map((row) => h("li", { class: "card message" },
      h("h2", {}, row.subject),
      h("p", { class: "muted" }, "From ", h("a", { href: `/console/requesters/${row.requester_id}` }, row.requester_name),
        ` · ${when(row.created_at)}`),
      h("p", { class: "message-body" }, row.message)))));
  } catch (error) {
    fill(target, h("p", { class: "bad" }, refusalText(error.code, error.message)));
  }
}

load();
