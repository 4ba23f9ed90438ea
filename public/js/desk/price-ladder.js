// The price ladder (DOM): one row per tick around the last price, following it; the best bid and
// ask sizes in their rows, the session's volume at price, the position's entry, stop, take-profits
// and resting limits in theirs. A click in Buy or Sell places a limit there (the ticket's form
// path: the same checks, refusals and confirmations), a click in Orders moves the stop there, a
// marker dragged to another row moves its level. Rows are built once; the book and the volume
// are drawn on a canvas behind them (price-ladder-canvas.js), the table changes only when the
// last price moves to another row, on a re-centre and when the position changes.
import { ctTime } from "../../../src/shared/format";
import { desk, stateEl, stateLines } from "./context.js";
import { moveLevel } from "./level-save.js";
import { onPaint, onTape, prices } from "./live.js";
import { ladderCanvas } from "./price-ladder-canvas.js";
import { dragMarkers, el, markersOf, paintMarks } from "./price-ladder-marks.js";
import { ladderOrders } from "./price-ladder-orders.js";

/** Rows kept between the last price and an edge before the ladder re-centres (when following). */
const MARGIN = 3;
/** How often at most sizes and volumes that change in place are redrawn (a moved level: at once). */
const SIZES_MS = 250;

export const priceLadder = () => {
  let stops = [];
  return {
    init() {
      stops = startLadder(this.$el);
    },
    destroy() {
      for (const f of stops) f();
    },
  };
};

/** An odd number of rows that fits beside the chart (a phone gets fewer). */
function rowCount() {
  if (window.innerWidth < 640) return 21;
  const h = Math.min(640, Math.max(320, Math.round(window.innerHeight * 0.58)));
  return Math.max(15, Math.min(41, Math.floor(h / 21))) | 1;
}

function startLadder(card) {
  const tick = Number(card.dataset.tick);
  const decimals = Number(card.dataset.decimals);
  const body = card.querySelector("[data-dom-rows]");
  const table = card.querySelector("table");
  const errEl = card.querySelector("[data-dom-error]");
  const follow = card.querySelector("[data-dom-follow]");
  const n = rowCount();
  const toTick = (p) => Math.round(p / tick);
  const price = (t) => Number((t * tick).toFixed(decimals));
  const text = (t) => (t * tick).toFixed(decimals);

  /** The tick of the first (highest) row; null until a price is known. */
  let top = null;
  let lastT = null;
  const book = { bidT: null, askT: null, bs: 0, as: 0 };
  let lines = stateLines();
  const volume = new Map();
  let maxVol = 0;
  let errTimer = null;

  const rows = [];
  for (let i = 0; i < n; i++) {
    const tr = el("tr");
    const orders = el("td", "dom-orders");
    const marks = el("span", "dom-marks");
    orders.append(marks);
    const buyCell = el("td", "dom-bid");
    const buy = el("button", "dom-buy");
    buy.type = "button";
    buyCell.append(buy);
    const priceCell = el("th", "dom-price");
    priceCell.scope = "row";
    const sellCell = el("td", "dom-ask");
    const sell = el("button", "dom-sell");
    sell.type = "button";
    sellCell.append(sell);
    tr.append(orders, buyCell, priceCell, sellCell, el("td", "dom-vol"));
    body.append(tr);
    rows.push({ tr, orders, marks, buy, sell, priceCell, t: null, shown: {} });
  }
  const canvas = ladderCanvas(card.querySelector(".dom-wrap"), table);
  const view = { top: null, n, bidT: null, askT: null, bs: 0, as: 0, volume, maxVol: 0 };
  /**
   * The canvas: every row, or only the rows of `only` (ticks) while the volume bars' scale holds.
   * The scale is the next 1, 2 or 5 × 10ⁿ above the largest volume, so it seldom changes.
   */
  function drawCanvas(only) {
    Object.assign(view, book);
    view.top = top;
    const mag = 10 ** Math.floor(Math.log10(Math.max(1, maxVol)));
    const scale = [1, 2, 5, 10].map((k) => k * mag).find((x) => x >= maxVol);
    const rescaled = view.maxVol !== scale;
    view.maxVol = scale;
    canvas.draw(view, rescaled ? undefined : only);
  }
  // For tests and the browser console, like the chart's box.uplot: what the ladder shows.
  card.ladder = { rows, volume, top: () => top, book: () => ({ ...book }), last: () => lastT };

  const rowOf = (t) => (top === null ? -1 : top - t);
  const at = (t) => {
    const i = rowOf(t);
    return i >= 0 && i < n ? rows[i] : null;
  };

  function say(msg) {
    errEl.textContent = msg;
    clearTimeout(errTimer);
    if (msg)
      errTimer = setTimeout(() => {
        errEl.textContent = "";
      }, 8000);
  }

  // Rows are written only when what they show changes: every write costs a re-layout and a repaint.
  const setClass = (r, name, on) => {
    if (r.shown[name] === on) return;
    r.shown[name] = on;
    r.tr.classList.toggle(name, on);
  };

  /** A screen reader hears which rows hold the best bid and ask (the sizes are drawn). */
  function labelBook(r) {
    const p = text(r.t);
    const bid = r.t === book.bidT;
    const ask = r.t === book.askT;
    if (r.shown.bid !== bid) r.buy.setAttribute("aria-label", "Buy limit " + p + (bid ? ", best bid" : ""));
    if (r.shown.ask !== ask) r.sell.setAttribute("aria-label", "Sell limit " + p + (ask ? ", best ask" : ""));
    r.shown.bid = bid;
    r.shown.ask = ask;
  }

  function paintLast(r) {
    setClass(r, "last", r.t === lastT);
    setClass(r, "above", lastT !== null && r.t > lastT);
    setClass(r, "below", lastT !== null && r.t < lastT);
  }

  const markers = () =>
    markersOf(lines, { side: stateEl()?.dataset.side || "", qty: stateEl()?.dataset.qty || "" }, toTick, text);

  function paintAllMarks() {
    const by = markers();
    for (const r of rows) paintMarks(r, by.get(r.t));
  }

  /** Every row from scratch: after a re-centre or a scroll. */
  function paintAll() {
    if (top === null) return;
    const by = markers();
    for (let i = 0; i < n; i++) {
      const r = rows[i];
      const t = top - i;
      r.t = t;
      const p = text(t);
      r.priceCell.textContent = p;
      r.orders.setAttribute("aria-label", "Stop at " + p);
      r.shown = {};
      paintLast(r);
      labelBook(r);
      paintMarks(r, by.get(t));
    }
    drawCanvas();
  }

  function centre() {
    if (lastT === null) return;
    if (top === null) {
      table.hidden = false;
      card.querySelector("[data-dom-wait]")?.remove();
    }
    top = lastT + ((n - 1) >> 1);
    paintAll();
  }

  function scroll(rowsBy) {
    if (top === null) return;
    follow.checked = false;
    top += rowsBy;
    paintAll();
  }

  // Volume at price: the session so far from the server, then every print of the feed.
  let seeded = card.dataset.volume !== "live";
  let early = [];
  const changedTicks = new Set();
  const count = (t, q) => {
    const v = (volume.get(t) || 0) + q;
    volume.set(t, v);
    if (v > maxVol) maxVol = v;
    changedTicks.add(t);
  };
  // What changed since the ladder last painted (the frame's painters run once per frame, live.js).
  const pend = { moved: false, quote: null };
  function flush() {
    if (pend.moved && prices.last !== null) {
      pend.moved = false;
      const before = lastT;
      lastT = toTick(prices.last);
      if (top === null) centre();
      else if (follow.checked && (lastT > top - MARGIN || lastT < top - n + 1 + MARGIN)) centre();
      else if (before !== lastT) for (const r of rows) paintLast(r);
    }
    // The rows that changed (changedTicks): the prices printed at, the book's old and new best rows.
    let moved = false;
    if (pend.quote) {
      const q = pend.quote;
      pend.quote = null;
      const wasBid = book.bidT;
      const wasAsk = book.askT;
      book.bidT = q.b === null || q.b === undefined ? null : toTick(q.b);
      book.askT = q.a === null || q.a === undefined ? null : toTick(q.a);
      book.bs = q.bs || 0;
      book.as = q.as || 0;
      moved = book.bidT !== wasBid || book.askT !== wasAsk;
      for (const t of [wasBid, wasAsk, book.bidT, book.askT]) {
        if (t === null) continue;
        changedTicks.add(t);
        const r = moved ? at(t) : null;
        if (r) labelBook(r);
      }
    }
    if (changedTicks.size) canvasDue(moved);
  }

  // The best bid or ask moving to another row is drawn at once; a size or a volume that changes
  // where it is, at most every SIZES_MS (each drawn frame re-sends the canvas to the compositor).
  let canvasAt = 0;
  let canvasTimer = null;
  function canvasDue(now) {
    const since = performance.now() - canvasAt;
    if (now || since >= SIZES_MS) {
      clearTimeout(canvasTimer);
      canvasTimer = null;
      canvasAt = performance.now();
      drawCanvas(changedTicks);
      changedTicks.clear();
    } else if (!canvasTimer)
      canvasTimer = setTimeout(() => requestAnimationFrame(() => canvasDue(true)), SIZES_MS - since);
  }
  const stopPaint = onPaint((f) => {
    if (f.moved) pend.moved = true;
    if (f.quote) pend.quote = f.quote;
    flush();
  });

  const stopTape = onTape((m) => {
    if (card.dataset.volume !== "live" || !m.q) return;
    if (!seeded) early.push(m);
    else count(toTick(m.p), m.q);
  });
  if (!seeded)
    fetch("/api/v1/market/" + encodeURIComponent(desk.symbol) + "/volume")
      .then((r) => (r.ok ? r.json() : { levels: [], last: null }))
      .catch(() => ({ levels: [], last: null }))
      .then((body) => {
        for (const l of body.levels || []) count(toTick(l.p), l.v);
        // Prints that came while the answer was on its way, and are not in it.
        for (const m of early) if (body.last === null || m.ts > body.last) count(toTick(m.p), m.q);
        early = [];
        seeded = true;
        const since = card.querySelector("[data-dom-since]");
        if (since && body.since) since.textContent = "· volume since " + ctTime(body.since);
      });

  const place = ladderOrders({
    card,
    say,
    book,
    last: () => lastT,
    lines: () => lines,
    price,
    text,
  });

  body.addEventListener("click", (e) => {
    const target = e.target;
    const r = rows.find((x) => x.tr.contains(target));
    if (!r || r.t === null) return;
    const cancel = target.closest("[data-cancel]");
    if (cancel) place.cancel(cancel.dataset.cancel);
    else if (target.closest(".dom-buy")) place.limit("buy", r.t);
    else if (target.closest(".dom-sell")) place.limit("sell", r.t);
    else if (target.closest(".dom-orders") && !target.closest(".mark")) place.stop(r.t);
  });

  dragMarkers(body, rows, (level, t) => place.settle(moveLevel(level, price(t), lines.version)));

  table.addEventListener(
    "wheel",
    (e) => {
      e.preventDefault();
      scroll(e.deltaY < 0 ? 3 : -3);
    },
    { passive: false },
  );
  table.addEventListener("keydown", (e) => {
    const by = { ArrowUp: 1, ArrowDown: -1, PageUp: (n - 1) >> 1, PageDown: -((n - 1) >> 1) }[e.key];
    if (by === undefined) return;
    e.preventDefault();
    scroll(by);
  });
  card.querySelector("[data-dom-centre]").addEventListener("click", () => {
    follow.checked = true;
    centre();
  });
  const onSwap = () => {
    lines = stateLines();
    paintAllMarks();
  };
  document.addEventListener("htmx:after:swap", onSwap);
  if (prices.last !== null) {
    lastT = toTick(prices.last);
    centre();
  }
  return [stopPaint, stopTape, () => document.removeEventListener("htmx:after:swap", onSwap)];
}
