import { Html } from "@elysiajs/html";
import type { DeskInstrument } from "./props";

/** The chart's card: interval buttons, the refusal of a drag, the uPlot box. */
export function ChartCard({ inst }: { inst: DeskInstrument }) {
  return (
    <div class="card chart-card" x-data="chart" role="region" aria-label={`${inst.root} chart`}>
      <div class="chart-head">
        <span class="chart-title">
          <span class="family small-seg" role="group" aria-label="Chart interval">
            <button type="button" class="seg on" data-interval="1m" aria-pressed="true">
              1m
            </button>
            <button type="button" class="seg" data-interval="1s" aria-pressed="false">
              1s
            </button>
          </span>
          <span class="chart-overlays" role="group" aria-label="Overlays">
            <label>
              <input type="checkbox" data-overlay="vwap" /> VWAP
            </label>
            <label>
              <input type="checkbox" data-overlay="ema" /> EMA 20
            </label>
            <label>
              <input type="checkbox" data-overlay="atr" /> ATR bands
            </label>
          </span>
          <button type="button" class="btn btn-ghost btn-small" data-chart-reset hidden>
            Reset view
          </button>
        </span>
        <span class="chart-error" data-chart-error role="alert"></span>
      </div>
      <div class="chart-readout muted small num" data-chart-readout aria-live="off">
        wheel: zoom · Shift+wheel: pan · drag: zoom to a range · drag the stop or a TP line to move it
      </div>
      <div
        class="chart"
        data-chart
        data-symbol={inst.root}
        data-decimals={String(inst.decimals)}
        data-tick={String(inst.tick)}
      ></div>
    </div>
  );
}
