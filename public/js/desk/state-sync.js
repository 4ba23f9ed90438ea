// Keeps the position state (and its log) current when the position changes anywhere: another
// browser, the feed filling a level, the timer. A desk action's own answer is the fresh state
// with its stored log, so a change it already shows costs no further request.
import { desk, stateEl } from "./context.js";
import { chart } from "./live.js";

let pending = false;
let announced = 0;
/** Desk actions on their way: their answers are the fresh state. */
let acting = 0;
/** Position messages that came while an action was on its way: checked against its answer. */
let deferred = [];
/**
 * Position messages the state on screen did not show when they came, checked again after every
 * new state: a refresh asked while another is on its way may be dropped, and the state that
 * came may predate the step's stored log. Two more looks each at most, so a line that can never
 * match cannot keep the page fetching.
 */
let waiting = [];

function editing() {
  const a = document.activeElement;
  return a && stateEl().contains(a) && /^(INPUT|SELECT|TEXTAREA)$/.test(a.tagName) && a.type !== "checkbox";
}

/** The option a select showed when rendered (the first one unless one is marked selected). */
function defaultIndex(sel) {
  for (let i = 0; i < sel.options.length; i++) if (sel.options[i].defaultSelected) return i;
  return 0;
}

/** Unsaved edits in the state's forms (values that differ from what the server rendered). */
function dirty() {
  for (const f of stateEl().querySelectorAll("input, select")) {
    if (f.type === "hidden") continue;
    if (
      f.type === "checkbox"
        ? f.checked !== f.defaultChecked
        : f.tagName === "SELECT"
          ? f.selectedIndex !== defaultIndex(f)
          : f.value !== f.defaultValue
    )
      return true;
  }
  return false;
}

export function refresh() {
  // Never overwrite what the trader is typing: refresh when they leave the field.
  if (editing()) {
    pending = true;
    return;
  }
  pending = false;
  const q = "account=" + encodeURIComponent(desk.account) + "&symbol=" + encodeURIComponent(desk.symbol);
  htmx.ajax("GET", "/desk/state?" + q, { target: "#desk-state", swap: "outerHTML" });
}

/**
 * Whether the state on screen already shows a position message: its version, and its log lines
 * (the state shows the engine's position at once but the log only once the step is stored — a
 * state that crossed the store has the new version but not its lines).
 */
function shows(m) {
  const s = stateEl();
  const version = m.position && typeof m.position.version === "number" ? m.position.version : null;
  if (version !== null && version > Number(s.dataset.version || 0)) return false;
  const lines = m.events || [];
  if (lines.length) return lines.every((e) => s.querySelector('[data-line="' + e.ts + " " + e.kind + '"]'));
  return version !== null;
}

/** A desk form's own post (the preview line is not an action). */
const isAction = (e) => {
  const r = e.detail?.ctx?.request;
  const path = String(r?.action || "");
  return String(r?.method || "").toUpperCase() === "POST" && /\/desk\//.test(path) && !/\/preview/.test(path);
};

function checkDeferred() {
  if (acting > 0 || !deferred.length) return;
  const missed = deferred.some((m) => !shows(m));
  deferred = [];
  if (missed) refresh();
}

export function startSync() {
  document.addEventListener("live:position", (e) => {
    const m = e.detail;
    if (m.account !== desk.account || m.symbol !== desk.symbol) return;
    if (m.position && typeof m.position.version === "number") announced = Math.max(announced, m.position.version);
    if (shows(m)) return;
    waiting.push({ m, looks: 0 });
    if (acting > 0) deferred.push(m);
    else refresh();
  });
  document.addEventListener("htmx:before:request", (e) => {
    if (isAction(e)) acting++;
  });
  document.addEventListener("htmx:finally:request", (e) => {
    if (!isAction(e)) return;
    acting = Math.max(0, acting - 1);
    setTimeout(checkDeferred, 0);
  });
  document.addEventListener("focusout", (e) => {
    if (!pending) return;
    // Focus moving to one of the state's buttons means an action is on its way: its answer is
    // the fresh state (or the conflict), so a refresh now would only race it.
    const next = e.relatedTarget;
    if (next && next.tagName === "BUTTON" && stateEl().contains(next)) {
      pending = false;
      return;
    }
    setTimeout(() => {
      if (pending) refresh();
    }, 50);
  });
  // A refresh that arrives while the trader is typing waits (its request may have left before).
  document.addEventListener("htmx:before:swap", (e) => {
    const ctx = e.detail?.ctx;
    const path = ctx?.request && String(ctx.request.action || "");
    if (path.indexOf("/desk/state") >= 0 && (editing() || dirty())) {
      e.preventDefault();
      pending = true;
    }
  });
  document.addEventListener("htmx:after:swap", () => {
    chart.readLines();
    waiting = waiting.filter((w) => !shows(w.m) && w.looks++ < 2);
    // An answer older than a change already announced (they crossed on the wire), or one without
    // a change's log lines yet: catch up.
    if (Number(stateEl().dataset.version || 0) < announced || pending || waiting.length) setTimeout(refresh, 0);
  });
}
