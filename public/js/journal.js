// The journal's pictures: the equity curve and net P&L by exit reason, by hour (CT) and by symbol,
// drawn with uPlot from the numbers the server put in the section's data attribute, and drawn
// again whenever the journal's body is re-rendered (a filter, a trade closing).
import { money } from "./format.js";

(function () {
  var css = function (name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || "#9aa4b2";
  };
  var grid = { stroke: "#1f2731" };
  var plots = [];

  function axes(values, labels) {
    return [
      labels
        ? // One tick per bar, its label tilted when the bars are many or the names long.
          {
            stroke: css("--muted"),
            grid: grid,
            ticks: grid,
            values: values,
            splits: function () {
              return labels.map(function (_l, i) {
                return i;
              });
            },
            rotate: labels.length > 4 || labels.some((l) => l.length > 8) ? -30 : 0,
            size: labels.length > 4 || labels.some((l) => l.length > 8) ? 60 : 40,
          }
        : { stroke: css("--muted"), grid: grid, ticks: grid, values: values },
      {
        stroke: css("--muted"),
        grid: grid,
        ticks: grid,
        size: 70,
        values: function (_u, ticks) {
          return ticks.map(function (v) {
            return money(v);
          });
        },
      },
    ];
  }

  function equity(box, d, width) {
    return new uPlot(
      {
        width: width,
        height: 220,
        tzDate: function (ts) {
          return uPlot.tzDate(new Date(ts * 1000), "America/Chicago");
        },
        legend: { show: false },
        cursor: { y: false },
        axes: axes(),
        series: [{}, { label: "net", stroke: css("--accent"), width: 2, fill: "rgba(80,160,255,0.08)" }],
      },
      [d.t, d.net],
      box,
    );
  }

  function bars(box, d, width) {
    var xs = d.label.map(function (_l, i) {
      return i;
    });
    return new uPlot(
      {
        width: width,
        height: 220,
        scales: { x: { time: false, range: [-0.5, d.label.length - 0.5] } },
        legend: { show: false },
        cursor: { y: false, points: { show: false } },
        axes: axes(function (_u, ticks) {
          return ticks.map(function (v) {
            return Number.isInteger(v) ? (d.label[v] ?? "") : "";
          });
        }, d.label),
        series: [
          {},
          {
            label: "net",
            paths: uPlot.paths.bars({ size: [0.6, 60] }),
            points: { show: false },
            // Green above zero, red below, bar by bar.
            fill: function (u) {
              var ctx = u.ctx;
              var zero = u.valToPos(0, "y", true);
              var g = ctx.createLinearGradient(0, u.bbox.top, 0, u.bbox.top + u.bbox.height);
              var at = Math.min(1, Math.max(0, (zero - u.bbox.top) / u.bbox.height));
              g.addColorStop(0, css("--long"));
              g.addColorStop(at, css("--long"));
              g.addColorStop(at, css("--short"));
              g.addColorStop(1, css("--short"));
              return g;
            },
          },
        ],
      },
      [xs, d.net],
      box,
    );
  }

  function draw() {
    plots.forEach(function (p) {
      p.destroy();
    });
    plots = [];
    var section = document.querySelector("[data-pictures]");
    if (!section || typeof uPlot === "undefined") return;
    var data = JSON.parse(section.dataset.pictures);
    section.querySelectorAll("[data-journal-chart]").forEach(function (box) {
      var key = box.dataset.journalChart;
      var width = Math.max(240, box.clientWidth || 320);
      var d = data[key];
      if (!d) return;
      var u = key === "equity" ? equity(box, d, width) : bars(box, d, width);
      box.uplot = u;
      plots.push(u);
    });
  }

  draw();
  document.body.addEventListener("htmx:after:swap", draw);
  var resized = null;
  window.addEventListener("resize", function () {
    clearTimeout(resized);
    resized = setTimeout(draw, 150);
  });
})();
