import { Html } from "@elysiajs/html";
import type { ReplaySummary } from "../../src/replay/replay-session";
import { ctTime } from "../../src/shared/format";
import { Summary } from "./summary";
import { hxPost } from "../htmx";

export interface ReplayPanelProps {
  id: number;
  account: string;
  description: string;
  state: string;
  speed: number | "max";
  nowMs: number;
  startMs: number;
  endMs: number;
  progress: number;
  summary: ReplaySummary | null;
  error?: string;
}

const SPEED_OPTIONS: (number | "max")[] = [1, 2, 5, 10, 60, 600, "max"];

function Control({
  id,
  action,
  label,
  extra,
  primary,
}: {
  id: number;
  action: string;
  label: string;
  extra?: Record<string, string>;
  primary?: boolean;
}) {
  return (
    <button
      type="button"
      class={`btn ${primary ? "btn-primary" : ""}`}
      {...hxPost(`/replay/${id}/control`, "#player")}
      hx-vals={JSON.stringify({ action, ...extra })}
      safe
    >
      {label}
    </button>
  );
}

/** The player: play/pause, speed, step, seek, progress and the replay clock; desk.js keeps the moving parts current. */
export function ReplayPanel(p: ReplayPanelProps) {
  const ended = p.state === "ended";
  return (
    // "ending": the tape is over but its exits and summary are not stored yet, so a browser whose
    // frames say "ended" loads the panel again until the summary is there.
    <section
      id="player"
      class="card player"
      aria-label="Replay player"
      data-state={ended && !p.summary ? "ending" : p.state}
    >
      <div class="player-row">
        {p.state === "playing" ? (
          <Control id={p.id} action="pause" label="Pause" primary />
        ) : ended ? (
          ""
        ) : (
          <Control id={p.id} action="play" label="Play" primary />
        )}
        <Control id={p.id} action="step" label="Step print" extra={{ unit: "record" }} />
        <Control id={p.id} action="step" label="Step minute" extra={{ unit: "bar" }} />
        <label class="inline">
          Speed
          <select
            name="speed"
            {...hxPost(`/replay/${p.id}/control`, "#player")}
            hx-vals='{"action":"speed"}'
            hx-trigger="change"
          >
            {SPEED_OPTIONS.map((v) => (
              <option value={String(v)} selected={p.speed === v} safe>
                {v === "max" ? "as fast as possible" : `${v}×`}
              </option>
            ))}
          </select>
        </label>
        <form class="seek" {...hxPost(`/replay/${p.id}/control`, "#player")} hx-trigger="change">
          <input type="hidden" name="action" value="seek" />
          <label class="inline">
            Seek
            <input
              type="range"
              name="toMs"
              min={String(p.startMs)}
              max={String(p.endMs)}
              step="60000"
              value={String(p.nowMs)}
              data-replay-seek
              aria-valuetext={ctTime(p.nowMs)}
            />
          </label>
        </form>
        <Control id={p.id} action="close" label="Close replay" />
      </div>
      <div class="player-row">
        <progress
          max="1000"
          value={String(Math.round(p.progress * 1000))}
          data-replay-progress
          aria-label="Replay progress"
        ></progress>
        <span class="num" data-replay-clock safe>
          {ctTime(p.nowMs)}
        </span>
        <span class={`badge badge-${ended ? "filled" : "replay"}`} safe>
          {p.state}
        </span>
        <span class="muted small" safe>{`${ctTime(p.startMs)} → ${ctTime(p.endMs)}`}</span>
      </div>
      {p.error ? (
        <p class="alert alert-error field-error" role="alert" safe>
          {p.error}
        </p>
      ) : (
        ""
      )}
      {p.summary && ended ? <Summary s={p.summary} /> : ""}
    </section>
  );
}
