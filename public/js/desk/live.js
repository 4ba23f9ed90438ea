// The desk's live prices, shared by its islands: the feed (or the replay) writes them, the
// quote and the position read them. Prices are written to the page once per frame, however
// many arrive in between.

export const prices = { last: null, prevClose: null, replayNow: null };

/** The chart island's handlers; no-ops until (and unless) the chart is on the page. */
const idle = { onTrade() {}, onBar() {}, readLines() {}, reload() {} };
export const chart = { ...idle };
export const linkChart = (api) => Object.assign(chart, api);
export const unlinkChart = () => Object.assign(chart, idle);

const painters = new Set();
let shownLast = null;
let quote = null;
let queued = false;

/** `fn({ moved, before, quote, base })` once per frame with what changed; returns the unsubscribe. */
export function onPaint(fn) {
  painters.add(fn);
  return () => painters.delete(fn);
}

function queuePaint() {
  if (queued) return;
  queued = true;
  requestAnimationFrame(paint);
}

function paint() {
  queued = false;
  const last = prices.last;
  const moved = last !== null && last !== shownLast;
  const frame = { moved, before: shownLast === null ? last : shownLast, quote, base: false };
  if (moved) shownLast = last;
  quote = null;
  for (const fn of painters) fn(frame);
}

export function setLast(p) {
  prices.last = p;
  queuePaint();
}

export function setQuote(q) {
  quote = q;
  queuePaint();
}

/** The previous session's close arrived: the day's change can be shown. */
export function setPrevClose(v) {
  prices.prevClose = v;
  for (const fn of painters) fn({ moved: false, before: null, quote: null, base: true });
}

const tapes = new Set();

/** `fn(m)` for every print of the live feed ({ p, q, ts }): the price ladder's volume at price. */
export function onTape(fn) {
  tapes.add(fn);
  return () => tapes.delete(fn);
}

/** One print of the feed: its candle, and whoever counts prints. */
export function tape(m) {
  chart.onTrade(m);
  for (const fn of tapes) fn(m);
}

/** A print: the price shown, and the candle it belongs to. */
export function onPrint(m) {
  setLast(m.p);
  if (m.ts !== undefined) tape(m);
}
