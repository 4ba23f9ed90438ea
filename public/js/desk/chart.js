// The chart island: uPlot candles of the chosen interval (1m or 1s, remembered), live from the
// feed or the replay, with the position's levels drawn and draggable.
import { drawCandles, drawLines, yRange, css } from "./chart-draw.js";
import { enableDrag } from "./chart-drag.js";
import { previousSessionClose, recent } from "./chart-history.js";
import { createSeries } from "./chart-series.js";
import { stateLines } from "./context.js";
import { drawOverlays, OVERLAYS, overlayState } from "./chart-overlays.js";
import { enableView } from "./chart-view.js";
import { linkChart, prices, setPrevClose, unlinkChart } from "./live.js";

const grid = { stroke: "#1f2731" };

export const chart = () => ({
  init() {
    const card = this.$el;
    const box = card.querySelector("[data-chart]");
    if (!box || typeof uPlot === "undefined") return;
    startChart(card, box);
  },
  destroy() {
    unlinkChart();
  },
});

function startChart(card, box) {
  const tick = Number(box.dataset.tick);
  const decimals = Number(box.dataset.decimals);
  const series = createSeries();
  try {
    if (localStorage.getItem("chart-interval") === "1s") series.interval = "1s";
  } catch (_) {}
  let lines = { entry: null, stop: null, tps: [], version: null };
  let drag = null;
  let u = null;
  let view = null;
  let hover = null;
  // The overlays the trader turned on (remembered in this browser), computed once per new data.
  const on = new Set();
  try {
    for (const k of JSON.parse(localStorage.getItem("chart-overlays") || "[]")) if (OVERLAYS.includes(k)) on.add(k);
  } catch (_) {}
  let overlays = null;
  // Kept between frames (only the bar that changed is computed); started over with the history.
  let overlayOf = overlayState();

  function readLines() {
    lines = stateLines();
    u?.redraw(false);
  }
  readLines();

  // The chart takes what the screen can spare: most of a desktop's height, a third of a phone's.
  const size = () => {
    const h = window.innerWidth < 640 ? 260 : Math.min(640, Math.max(320, Math.round(window.innerHeight * 0.58)));
    return { width: Math.max(280, box.clientWidth), height: h };
  };
  const data = series.data;
  u = new uPlot(
    {
      ...size(),
      legend: { show: false },
      // A drag over an empty part zooms to what it selects (a drag on a line moves the line).
      cursor: { drag: { x: true, y: false, setScale: true }, points: { show: false } },
      scales: {
        x: { time: true },
        y: {
          range: yRange(
            () => lines,
            tick,
            () => prices.last,
          ),
        },
      },
      // Exchange time on the axis, like the status bar's clock.
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), "America/Chicago"),
      axes: [
        // Room for each time label: the 1-second chart's labels no longer overlap.
        { stroke: css("--muted"), grid, ticks: grid, space: 90 },
        {
          // On the right, where trading platforms keep it (and the last price's label).
          side: 1,
          stroke: css("--muted"),
          grid,
          ticks: grid,
          size: 72,
          // Price labels on the tick grid (MES: 6000.50, never 6000.60).
          incrs: [1, 2, 4, 5, 10, 20, 40, 50, 100, 200, 400, 500, 1000, 2000, 4000, 5000, 10000, 20000].map(
            (k) => k * tick,
          ),
          values: (_u, vals) => vals.map((v) => v.toFixed(decimals)),
        },
      ],
      series: [
        {},
        { label: "low", stroke: "transparent", points: { show: false } },
        { label: "high", stroke: "transparent", points: { show: false } },
      ],
      hooks: {
        draw: [
          drawOverlays(() => ({ on, overlays, last: prices.last, decimals })),
          drawCandles(() => series.data),
          drawLines(() => ({ lines, drag, hover, decimals })),
        ],
        setCursor: [() => view?.cursor()],
        setSelect: [
          (uu) => {
            if (uu.select.width > 0) view?.selected();
          },
        ],
      },
    },
    [data[0], data[3], data[2]],
    box,
  );
  // The instance, for tests and for the browser console.
  box.uplot = u;
  new ResizeObserver(() => u.setSize(size())).observe(box);
  window.addEventListener("resize", () => u.setSize(size()));
  const errEl = card.querySelector("[data-chart-error]");
  enableDrag({
    u,
    tick,
    decimals,
    errEl,
    lines: () => lines,
    setDrag: (d) => (drag = d),
    hover: () => hover,
    setHover: (h) => {
      hover = h;
      u.redraw(false);
    },
  });
  view = enableView({
    u,
    decimals,
    resetBtn: card.querySelector("[data-chart-reset]"),
    readout: card.querySelector("[data-chart-readout]"),
    data: () => series.data,
  });
  for (const c of card.querySelectorAll("[data-overlay]")) {
    c.checked = on.has(c.dataset.overlay);
    c.addEventListener("change", () => {
      if (c.checked) on.add(c.dataset.overlay);
      else on.delete(c.dataset.overlay);
      try {
        localStorage.setItem("chart-overlays", JSON.stringify([...on]));
      } catch (_) {}
      setData();
    });
  }

  function setData() {
    const d = series.data;
    // The trader's zoom stays; following the last bars, the view moves with them.
    u.setData([d[0], d[3], d[2]], false);
    overlays = on.size ? overlayOf(d) : null;
    // For tests and the browser console, like box.uplot.
    box.overlays = overlays;
    view.apply();
    u.redraw(false);
  }
  let redrawQueued = false;
  function queueRedraw() {
    if (redrawQueued) return;
    redrawQueued = true;
    // At most one redraw per frame however fast prints come.
    requestAnimationFrame(() => {
      redrawQueued = false;
      setData();
    });
  }

  /** Loads the chosen interval from scratch; prints arriving meanwhile are folded in after. */
  function load() {
    const want = series.interval;
    return recent(want).then((body) => {
      if (want !== series.interval) return;
      series.clear();
      overlayOf = overlayState();
      series.bars(body.bars);
      setData();
    });
  }

  const buttons = card.querySelectorAll("[data-interval]");
  function showInterval() {
    for (const b of buttons) {
      const on = b.dataset.interval === series.interval;
      b.classList.toggle("on", on);
      b.setAttribute("aria-pressed", String(on));
    }
  }
  for (const b of buttons)
    b.addEventListener("click", () => {
      if (b.dataset.interval === series.interval) return;
      series.interval = b.dataset.interval;
      try {
        localStorage.setItem("chart-interval", series.interval);
      } catch (_) {}
      showInterval();
      load();
    });
  showInterval();

  linkChart({
    onTrade(m) {
      series.trade(m);
      queueRedraw();
    },
    onBar(b) {
      if (series.bar(b)) queueRedraw();
    },
    readLines,
    reload: load,
  });

  // The day's change needs one-minute history whichever interval is drawn.
  recent("1m").then((body) => {
    setPrevClose(previousSessionClose(body.bars || []));
    if (series.interval === "1m") {
      // From scratch: a print that came before the history made a candle newer than all of it,
      // and older bars are never put behind a newer one.
      series.clear();
      overlayOf = overlayState();
      series.bars(body.bars);
      setData();
    } else load();
  });
}
