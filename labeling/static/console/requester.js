// A requester's public profile (GET /api/v1/worker/requesters/{id}): its name and how it treats
// appeals and answers, so a worker judges a requester as it is judged. Figures as the API gives
// them (selectors.appeals.requester_profile computes each once); the name is built as text.
import { api, fill, h, refusalText, when } from "./console.js";

function stat(label, value, hint) {
  return h("div", { class: "stat" }, h("div", { class: "value" }, value), h("div", { class: "label" }, label),
    hint ? h("div", { class: "hint" }, hint) : null);
}

function share(part, whole) {
  return whole ? `${Math.round((100 * part) / whole)} %` : "–";
}

async function load() {
  const target = document.getElementById("requester");
  try {
    const profile = await api("GET", `requesters/${target.dataset.requesterId}`);
    const decided = profile.appeals_accepted + profile.appeals_declined;
    document.title = `${profile.name} · Groundwork`;
    fill(target,
      h("h1", {}, profile.name),
      h("p", { class: "muted" }, `Requester on Groundwork since ${when(profile.member_since, { withTime: false })}.`),
      h("h2", {}, "Appeals"),
      h("div", { class: "stats", id: "appeal-figures" },
        stat("appeals received", String(profile.appeals_received)),
        stat("accepted", String(profile.appeals_accepted), `${share(profile.appeals_accepted, decided)} of those decided`),
        stat("declined", String(profile.appeals_declined)),
        stat("waiting for a decision", String(profile.appeals_open))),
      h("h2", {}, "Answers"),
      h("div", { class: "stats", id: "answer-figures" },
        stat("approval rate", profile.approval_rate === null ? "–" : `${(profile.approval_rate * 100).toFixed(1)} %`,
          "approved of the answers it settled"),
        stat("approved", String(profile.assignments_approved)),
        stat("rejected", String(profile.assignments_rejected))),
      h("p", { class: "hint" }, "An accepted appeal counts as an approval. A rejected answer can be appealed once, within 14 days, from your History."));
  } catch (error) {
    fill(target, h("p", { class: "bad" }, error.code === "not_found"
      ? "No such requester for you: a requester's profile shows once you have worked for it or it posts work to one of your teams."
      : refusalText(error.code, error.message)));
  }
}

load();
