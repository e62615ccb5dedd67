// Shared helpers of the console pages: the worker API with the session's credentials, DOM
// building without innerHTML (requesters' text is untrusted), money and dates, refusals in words.

const csrfToken = document.querySelector('meta[name="csrf-token"]')?.content || "";

export class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(error.message || `request failed (${status})`);
    this.status = status;
    this.code = error.code || (status === 0 ? "network" : "error");
    this.fields = error.fields || {};
    this.retryAfter = null;
  }
}

/** Call the worker API (`/api/v1/worker/...`) with the console session; JSON in, JSON out. */
export async function api(method, path, body) {
  const options = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (method !== "GET") {
    options.headers["X-CSRFToken"] = csrfToken;
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body === undefined ? {} : body);
  }
  let response;
  try {
    response = await fetch(`/api/v1/worker/${path}`, options);
  } catch (error) {
    throw new ApiError(0, { error: { message: "The server cannot be reached. Check your connection." } });
  }
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const error = new ApiError(response.status, data);
    error.retryAfter = response.headers.get("Retry-After");
    if (response.status === 401 || response.status === 403) signedOut();
    throw error;
  }
  return data;
}

/** Every page of a list endpoint (up to `max` rows). */
export async function apiAll(path, max = 2000) {
  const rows = [];
  let url = `${path}${path.includes("?") ? "&" : "?"}limit=1000`;
  while (url && rows.length < max) {
    const data = await api("GET", url);
    rows.push(...data.results);
    url = data.next ? data.next.replace(/^.*\/api\/v1\/worker\//, "") : null;
  }
  return rows;
}

function signedOut() {
  if (document.body.dataset.signedOut) return;
  document.body.dataset.signedOut = "1";
  const main = document.getElementById("main");
  main.prepend(h("div", { class: "notice error", role: "alert" },
    "You are signed out. ", h("a", { href: `/console/?next=${encodeURIComponent(location.pathname)}` }, "Sign in again"), "."));
}

/** `h("a", {href, class}, "text", child...)`: an element; strings become text nodes. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith("on") && typeof value === "function") element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/** Replace an element's children. */
export function fill(element, ...children) {
  element.replaceChildren(...children.flat().filter((child) => child !== null && child !== undefined));
  return element;
}

export function money(amount) {
  if (amount === null || amount === undefined) return "–";
  const [whole, fraction = ""] = String(amount).split(".");
  return `$${whole}.${fraction.padEnd(2, "0")}`;
}

export function when(iso, { withTime = true } = {}) {
  if (!iso) return "–";
  const date = new Date(iso);
  const options = withTime ? { dateStyle: "medium", timeStyle: "short" } : { dateStyle: "medium" };
  return new Intl.DateTimeFormat(undefined, options).format(date);
}

export function duration(seconds) {
  seconds = Math.max(0, Math.round(seconds));
  if (seconds >= 86400) return `${Math.round(seconds / 8640) / 10} days`;
  if (seconds >= 3600) return `${Math.round(seconds / 360) / 10} h`;
  if (seconds >= 60) return `${Math.floor(seconds / 60)} min${seconds % 60 ? ` ${seconds % 60} s` : ""}`;
  return `${seconds} s`;
}

const REFUSALS = {
  deadline_passed: "The deadline for this task has passed: your answer was not recorded.",
  already_submitted: "This task was already submitted with a different answer; the first answer stands.",
  not_live: "This task is no longer yours to answer (it was returned or has expired).",
  task_closed: "This task has been closed by its requester.",
  rate_limited: "Too many requests at once. Wait a moment, then try again.",
  too_many_live_assignments: "You hold as many tasks as you may at once: finish or skip one first.",
  not_found: "This task no longer exists for you.",
  invalid: "The answer is not complete or not valid for this task.",
  qualification_retry_too_soon: "You took this test recently: you may retake it later.",
  qualification_already_held: "You already hold this qualification.",
  network: "The server cannot be reached. Check your connection.",
  server_error: "Something went wrong on the server. Try again.",
};

/** A refusal from the API or the websocket, in words a worker understands. */
export function refusalText(code, message, fields) {
  let text = REFUSALS[code] || message || "The request was refused.";
  if (code === "rate_limited" && message) text += ` (${message})`;
  if (code === "invalid" && fields && Object.keys(fields).length) {
    text += " " + Object.entries(fields).map(([field, errors]) => `${field}: ${[].concat(errors).join(" ")}`).join("; ");
  } else if (code === "qualification_retry_too_soon" && message) text = message;
  return text;
}

export function notify(element, text, kind = "") {
  element.className = `notice ${kind}`.trim();
  element.textContent = text;
  element.hidden = !text;
}
