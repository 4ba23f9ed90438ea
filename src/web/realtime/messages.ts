/**
 * Every message the server sends a browser on `/ws`, as one union (`ServerMessage`), and the
 * builders of the ones made here. Page scripts may share the types (`import type`); the bytes
 * are built by hand where they are hot (prints, quotes, bursts: one string per burst, no object),
 * and with JSON.stringify elsewhere, in the key order browsers have always received.
 *
 * Market data (`{"t":"trade"}`, `quote`, `trades`, `bar`, `status`, `price_changed`): see
 * hub.ts for when each is sent. Socket answers (`hello`, `subscribed`, `error`, `info`, `pong`):
 * price-ws.ts. A user's own messages (`position`, `notice`, `replay`, `replay-download`) are
 * built by the engine start-up, roll notices and replays and reach only that user's sockets.
 */
import type { BarInterval, BarPoints } from "../../market-data/bars/bar";
import type { FeedStatus } from "../../market-data/service/feed-types";

export type Side = "A" | "B" | "N";

/** One print: also the "latest" trade that pull clients and new subscribers get. */
export interface TradeMessage {
  t: "trade";
  s: string;
  p: number;
  q: number;
  side: Side;
  ts: number;
}

/** The top of book: also the "latest" quote. */
export interface QuoteMessage {
  t: "quote";
  s: string;
  b: number | null;
  a: number | null;
  bs: number;
  as: number;
  ts: number;
}

/** A burst: print i is p[i], q[i], side[i] at ts + dt[i]; `quote` only if the book moved. */
export interface TradesMessage {
  t: "trades";
  s: string;
  p: number[];
  q: number[];
  side: string;
  ts: number;
  dt: number[];
  quote?: Omit<QuoteMessage, "t" | "s">;
}

/** A bar of a symbol's interval, its prices in points (market data's `barPoints`). */
export interface BarMessage extends BarPoints {
  t: "bar";
  s: string;
  i: BarInterval;
}

export interface StatusMessage {
  t: "status";
  feed: FeedStatus;
  /** On a shared Postgres: this instance's part (web/instance-role.ts). */
  instance?: unknown;
}

/** The original client's form, legacy subscribers only. */
export interface LegacyPriceMessage {
  event: "price_changed";
  data: { symbol: string; price: number };
}

export type SocketAnswer =
  | { t: "hello"; user: string }
  | { t: "subscribed"; symbols: string[] }
  | { t: "error"; message: string }
  | { t: "info"; message: string }
  | { t: "pong"; ts: number };

/** A user's own state; its fields are the engine's and the replays' (position views, frames). */
export type UserMessage =
  | { t: "position"; account?: unknown; symbol: string; position: unknown; events: unknown[] }
  | { t: "notice"; kind: string; symbol: string; account: string; message: string }
  /** A price alert fired (trading/alerts): alerts.js shows it, plays a tone, notifies. */
  | { t: "alert"; kind: "price"; symbol: string; message: string; ts: number }
  | { t: "replay"; id: unknown; state: string; [field: string]: unknown }
  | { t: "replay-download"; token: string; progress: unknown; bytes: unknown; state: string; message?: string };

export type ServerMessage =
  | TradeMessage
  | QuoteMessage
  | TradesMessage
  | BarMessage
  | StatusMessage
  | LegacyPriceMessage
  | SocketAnswer
  | UserMessage;

/** A socket answer as the browser receives it. */
export const answer = (m: SocketAnswer): string => JSON.stringify(m);

/** A number as JSON writes it (non-finite → null). */
export const num = (x: number | null): string => (x !== null && Number.isFinite(x) ? String(x) : "null");

export function numberList(xs: readonly number[]): string {
  let out = num(xs[0]!);
  for (let i = 1; i < xs.length; i++) out += "," + num(xs[i]!);
  return out;
}

/** Each time as an offset from the first (ms; a burst's prints are close together). */
export function offsets(ts: readonly number[]): string {
  const t0 = ts[0]!;
  let out = "0";
  for (let i = 1; i < ts.length; i++) out += "," + num(ts[i]! - t0);
  return out;
}

/** A bar of a root, prices in points (see feed-bridge.ts). */
export function barMessage(b: Omit<BarMessage, "t">): string {
  const m: BarMessage = { t: "bar", s: b.s, i: b.i, ts: b.ts, o: b.o, h: b.h, l: b.l, c: b.c, v: b.v };
  return JSON.stringify(m);
}

export function statusMessage(feed: FeedStatus, instance: (() => unknown) | undefined): string {
  const m: StatusMessage = { t: "status", feed, ...(instance ? { instance: instance() } : {}) };
  return JSON.stringify(m);
}
