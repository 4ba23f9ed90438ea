import type { RollRules } from "../instruments/roll-rule";

/** A continuous symbol moved to another contract, or will once its open positions are closed. */
export interface RollEvent {
  symbol: string;
  from: string;
  to: string;
  /** held: positions are open on `from`; its prices keep flowing for them until every one is flat. */
  state: "held" | "rolled";
}

/**
 * The timers the service's own clocks run on (bar closes, held rolls, status, the daily
 * re-subscription). The process's timers by default; a test that runs the service on a
 * simulated `now` (soak.test.ts: a week in seconds) passes timers driven by that clock, since
 * real ones would fire on real time while `now` says days have passed.
 */
export interface ServiceTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

export const PROCESS_TIMERS: ServiceTimers = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.(); // only the daily re-subscription uses it: it must not keep the process alive
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (h) => clearInterval(h as ReturnType<typeof setInterval>),
};

export type FeedKind = "simulated" | "databento";
export type FeedState = "connecting" | "live" | "reconnecting" | "stopped" | "auth-failed";

export interface FeedConfig {
  kind: FeedKind;
  /** Databento key (live) — never logged. */
  apiKey?: string;
  /** host:port of a gateway other than Databento's (tests, a proxy). */
  gateway?: { host: string; port: number };
  dataset?: string;
  simSeed?: number;
  /** Which contract each continuous symbol follows (default: by volume). */
  rollRules?: RollRules;
}

export interface FeedStatus {
  kind: FeedKind;
  state: FeedState;
  lastTickAgeMs: number | null;
  symbols: number;
  reconnects: number;
  message?: string;
  /** In a cluster: whether this instance holds the session or follows the one that does. */
  role?: "leader" | "follower";
  /** Rolls held while positions are open on the old contract. */
  rolls?: { symbol: string; from: string; to: string }[];
}
