// The chart island: uPlot candles of the chosen interval (1m or 1s, remembered), live from the
// feed or the replay, with the position's levels drawn and draggable.
import { drawCandles, drawLines, yRange, css } from "./chart-draw.js";
import { enableDrag } from "./chart-drag.js";
import { previousSessionClose, recent } from "./chart-history.js";
import { createSeries } from "./chart-series.js";
import { stateEl } from "./context.js";
import { linkChart, setPrevClose, unlinkChart } from "./live.js";

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

  function readLines() {
    try {
      lines = JSON.parse(stateEl().dataset.lines || "{}");
    } catch (_) {
      lines = { tps: [] };
    }
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
      cursor: { drag: { x: false, y: false }, points: { show: false } },
      scales: { x: { time: true }, y: { range: yRange(() => lines, tick) } },
      // Exchange time on the axis, like the status bar's clock.
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), "America/Chicago"),
      axes: [
        { stroke: css("--muted"), grid, ticks: grid },
        {
          stroke: css("--muted"),
          grid,
          ticks: grid,
          size: 64,
          values: (_u, vals) => vals.map((v) => v.toFixed(decimals)),
        },
      ],
      series: [
        {},
        { label: "low", stroke: "transparent", points: { show: false } },
        { label: "high", stroke: "transparent", points: { show: false } },
      ],
      hooks: { draw: [drawCandles, drawLines(() => ({ lines, drag, decimals }))] },
    },
    [data[0], data[3], data[2]],
    box,
  );
  // The instance, for tests and for the browser console.
  box.uplot = u;
  new ResizeObserver(() => u.setSize(size())).observe(box);
  window.addEventListener("resize", () => u.setSize(size()));
  const errEl = card.querySelector("[data-chart-error]");
  enableDrag({ u, tick, decimals, errEl, lines: () => lines, setDrag: (d) => (drag = d) });

  function setData() {
    const d = series.data;
    u.setData([d[0], d[3], d[2]]);
    // The draw hook reads OHLCV from here.
    for (let i = 1; i <= 5; i++) u.data[i] = d[i];
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
      series.bars(body.bars);
      setData();
    } else load();
  });
}
