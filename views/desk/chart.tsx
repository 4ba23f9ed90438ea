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
          <span class="muted small">drag the stop or a TP line to move it</span>
        </span>
        <span class="chart-error" data-chart-error role="alert"></span>
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
