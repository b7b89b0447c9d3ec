// The review page: one question at a time, keyboard first. Every value from the server is
// set as text (textContent), never as HTML: a lead named <script> is shown, not run.
"use strict";

const token = new URLSearchParams(location.search).get("token") || "";
const $ = (id) => document.getElementById(id);
let state = null; // what /api/state last said
let shown = []; // the accounts listed now: candidates, or search results
let active = 0; // the highlighted one, for Enter in the search box
let searchSeq = 0; // answers to older searches are dropped
let listedFor = ""; // the search text the list shows accounts for ("": the candidates)
let typing = null; // the search waiting for the reviewer to stop typing
let busy = false; // an answer is on its way: keys and clicks wait for the next question
// Controls that turn text around (right-to-left overrides, isolates, marks) are shown as what
// they are, so that a value cannot reorder the text around it.
const BIDI = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;
const visible = (text) =>
  text.replace(BIDI, (c) => `⟨U+${c.codePointAt(0).toString(16).toUpperCase()}⟩`);

function el(tag, text, cls) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = visible(String(text));
  if (cls) node.className = cls;
  return node;
}

async function call(method, path, body) {
  const init = { method, headers: { "X-Leadmatch-Token": token } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const data = await response.json();
  if (!response.ok) throw new Error(data.error || response.statusText);
  return data;
}

function say(text, isError) {
  $("status").textContent = visible(text);
  $("status").className = isError ? "error" : "";
}

function showProgress(s) {
  const share = Math.round(s.settled_share * 1000) / 10;
  $("progress").textContent =
    `answered ${s.answered} · left ${s.left} · ${share}% of the queue's leads settled`;
}

function showLead(item) {
  const lead = item.lead;
  $("band").textContent = item.band;
  const model = item.account_id ? `${item.decision}, ${item.account_id} at ${item.confidence}` : item.decision;
  $("model").textContent = visible(model);
  $("company").textContent = visible(lead.company || lead.email || lead.website || lead.lead_id);
  const fields = $("fields");
  fields.replaceChildren();
  for (const [name, value] of Object.entries(lead)) {
    fields.append(el("dt", name.replace("_", " ")), el("dd", value));
  }
  $("settles").textContent = item.settles
    ? `This answer also settles ${item.settles} other lead${item.settles > 1 ? "s" : ""} (same company and domain).`
    : "";
  $("notes").replaceChildren(...item.notes.map((note) => el("li", note)));
}

function showChoices(accounts, title) {
  shown = accounts.slice(0, 9);
  active = 0;
  $("list-title").textContent = title;
  const list = $("choices");
  list.replaceChildren();
  shown.forEach((account, i) => {
    const row = el("li", undefined, i === active ? "active" : "");
    row.dataset.account = account.account_id;
    row.append(el("span", i + 1, "key"), el("span", account.name || account.account_id, "name"));
    const bar = el("span", undefined, account.confidence === undefined ? "" : "bar");
    if (account.confidence !== undefined) {
      const fill = el("span");
      fill.style.width = `${Math.round(account.confidence * 100)}%`;
      bar.title = `confidence ${account.confidence}`;
      bar.append(fill);
    }
    row.append(bar);
    const extra = Object.entries(account.fields || {}).map(([k, v]) => `${k}: ${v}`);
    const meta = [account.account_id, (account.domains || []).join(", ") || "no domain",
      account.country || "no country", ...extra];
    if (account.confidence !== undefined) meta.push(`confidence ${account.confidence}`);
    row.append(el("span", meta.join(" · "), "meta"));
    if (account.evidence && account.evidence.length) {
      const why = el("ul", undefined, "evidence");
      why.append(...account.evidence.map((line) => el("li", line)));
      row.append(why);
    }
    row.addEventListener("click", () => pick(account.account_id));
    list.append(row);
  });
  if (!shown.length) list.append(el("li", "No account found.", "meta"));
}

function showRefit(refit) {
  let said = "";
  if (refit && refit.used) {
    said = `Refitted on ${refit.answers} answers: of the ${refit.of} leads still asked about, ` +
      `${refit.would_match} would now be matched and ${refit.would_unmatch} unmatched ` +
      (refit.precision === null ? "(no held-apart answer was matched to estimate a precision). "
        : `(estimated precision ${refit.precision}). `) + "The queue is ranked by it; " +
      "run leadmatch fit --labels to keep it.";
  } else if (refit) {
    said = `Refit on ${refit.answers} answers: the model stays as it is (${refit.why}).`;
  }
  $("refit").textContent = visible(said);
}

function render(s) {
  // Whatever was under way belongs to the question before: a search typed for it, a button
  // clicked for it (which Enter or Space would press again).
  clearTimeout(typing);
  searchSeq++;
  if (document.activeElement && document.activeElement !== document.body) {
    document.activeElement.blur();
  }
  state = s;
  showProgress(s);
  showRefit(s.refit);
  const item = s.item;
  $("question").hidden = !item;
  $("done").hidden = !!item;
  if (!item) return;
  showLead(item);
  $("search").value = "";
  $("search").blur();
  listedFor = "";
  showChoices(item.candidates, "Candidates");
}

async function act(path, body, message) {
  if (busy) return;
  busy = true;
  try {
    render(await call("POST", path, body));
    say(message, false);
  } catch (error) {
    say(error.message, true);
  } finally {
    busy = false;
  }
}

const atHand = () => (state && state.item ? state.item.lead.lead_id : null);

// Each answer names the lead it is about, as it was on screen when the key was pressed: the
// server refuses it if another question is at hand by the time it arrives.
function pick(accountId, lead = atHand()) {
  if (lead === null || lead !== atHand()) return;
  act("/api/answer", { lead_id: lead, account_id: accountId }, `${lead}: ${accountId}`);
}

function none() {
  const lead = atHand();
  if (lead !== null) {
    act("/api/answer", { lead_id: lead, account_id: null }, `${lead}: none of the accounts`);
  }
}

function skip() {
  const lead = atHand();
  if (lead !== null) act("/api/skip", { lead_id: lead }, `${lead}: skipped`);
}

function undo() {
  if (state && state.last !== null) {
    act("/api/undo", { lead_id: state.last }, `the answer about ${state.last} is withdrawn`);
  }
}

async function search(text) {
  const seq = ++searchSeq;
  if (!text.trim()) {
    if (state && state.item) showChoices(state.item.candidates, "Candidates");
    listedFor = "";
    return;
  }
  try {
    const found = await call("GET", `/api/search?q=${encodeURIComponent(text)}`);
    if (seq === searchSeq) {
      showChoices(found.accounts, `Accounts for “${text}”`);
      listedFor = text;
    }
  } catch (error) {
    say(error.message, true);
  }
}

function highlight(step) {
  if (!shown.length) return;
  active = (active + step + shown.length) % shown.length;
  [...$("choices").children].forEach((row, i) => row.classList.toggle("active", i === active));
}

function onSearchKey(event) {
  if (event.key === "Enter") {
    event.preventDefault();
    clearTimeout(typing);
    const text = event.target.value;
    const lead = atHand();
    // Pick from the accounts found for what is typed now, never from an older list, and for
    // the question on screen now, never the next one.
    const ready = text === listedFor ? Promise.resolve() : search(text);
    ready.then(() => {
      if (text === listedFor && text.trim() && shown[active]) pick(shown[active].account_id, lead);
    });
  } else if (event.key === "Escape") {
    event.target.value = "";
    event.target.blur();
    search("");
  } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    event.preventDefault();
    highlight(event.key === "ArrowDown" ? 1 : -1);
  }
}

function onKey(event) {
  if (event.target === $("search") || event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.repeat || event.isComposing || busy) {  // a held key answers one question, not ten
    if (/^[1-9nsu]$/.test(event.key)) event.preventDefault();
    return;
  }
  if (/^[1-9]$/.test(event.key)) {
    const account = shown[Number(event.key) - 1];
    if (account) pick(account.account_id);
  } else if (event.key === "n") none();
  else if (event.key === "s") skip();
  else if (event.key === "u") undo();
  else if (event.key === "/") {
    event.preventDefault();
    $("search").focus();
  } else return;
  event.preventDefault();
}

document.addEventListener("DOMContentLoaded", async () => {
  $("none").addEventListener("click", none);
  $("skip").addEventListener("click", skip);
  $("undo").addEventListener("click", undo);
  $("undo-done").addEventListener("click", undo);
  $("search").addEventListener("keydown", onSearchKey);
  $("search").addEventListener("input", (event) => {
    clearTimeout(typing);
    typing = setTimeout(() => search(event.target.value), 150);
  });
  document.addEventListener("keydown", onKey);
  try {
    render(await call("GET", "/api/state"));
    document.body.dataset.ready = "1";
  } catch (error) {
    say(error.message, true);
  }
});
