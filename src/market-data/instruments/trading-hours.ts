/**
 * CME Globex hours for the catalogue's products, in exchange time (America/Chicago, so DST is
 * the exchange's, not the server's): Sunday 17:00 to Friday 16:00, with a daily break
 * 16:00-17:00 Monday to Thursday. Exchange holidays are not modelled: on those days the feed
 * status (no ticks) is what tells the trader.
 */

export const EXCHANGE_TZ = "America/Chicago";
const OPEN_HOUR = 17;
const CLOSE_HOUR = 16;

export type SessionState = "open" | "daily-break" | "weekend";

const fmt = new Intl.DateTimeFormat("en-US", {
  timeZone: EXCHANGE_TZ,
  hourCycle: "h23",
  weekday: "short",
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
});
const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

export interface ExchangeTime {
  year: number;
  month: number;
  day: number;
  weekday: number;
  hour: number;
  minute: number;
  second: number;
}

export function exchangeTime(ms: number): ExchangeTime {
  const p: Record<string, string> = {};
  for (const part of fmt.formatToParts(new Date(ms))) p[part.type] = part.value;
  return {
    year: Number(p.year),
    month: Number(p.month),
    day: Number(p.day),
    weekday: WEEKDAYS[p.weekday!]!,
    hour: Number(p.hour),
    minute: Number(p.minute),
    second: Number(p.second),
  };
}

/** UTC ms of a wall-clock time in Chicago (CST is UTC-6, CDT UTC-5; the one that round-trips wins). */
export function fromExchangeTime(year: number, month: number, day: number, hour: number, minute = 0): number {
  for (const offsetH of [5, 6]) {
    const ms = Date.UTC(year, month - 1, day, hour + offsetH, minute);
    const t = exchangeTime(ms);
    if (t.hour === hour && t.minute === minute && t.day === day) return ms;
  }
  // A wall time skipped by the spring-forward jump: take the instant an hour later.
  return Date.UTC(year, month - 1, day, hour + 5, minute);
}

export function sessionState(ms: number): SessionState {
  const t = exchangeTime(ms);
  const h = t.hour;
  switch (t.weekday) {
    case 6:
      return "weekend";
    case 0:
      return h >= OPEN_HOUR ? "open" : "weekend";
    case 5:
      return h < CLOSE_HOUR ? "open" : "weekend";
    default:
      return h === CLOSE_HOUR ? "daily-break" : "open";
  }
}

/** The next instant at or after `ms` when the market opens (now, if it is open). */
export function nextOpen(ms: number): number {
  if (sessionState(ms) === "open") return ms;
  const t = exchangeTime(ms);
  // Walk forward day by day to the next 17:00 that starts a session (Sunday to Thursday).
  for (let add = 0; add < 8; add++) {
    const d = new Date(Date.UTC(t.year, t.month - 1, t.day + add));
    const weekday = d.getUTCDay();
    if (weekday === 5 || weekday === 6) continue;
    const open = fromExchangeTime(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), OPEN_HOUR);
    if (open >= ms) return open;
  }
  throw new Error("no session open within a week");
}

/** The next instant after `ms` when the open session stops (daily break or weekend). */
export function nextClose(ms: number): number {
  const from = sessionState(ms) === "open" ? ms : nextOpen(ms);
  const t = exchangeTime(from);
  for (let add = 0; add < 8; add++) {
    const d = new Date(Date.UTC(t.year, t.month - 1, t.day + add));
    const weekday = d.getUTCDay();
    if (weekday === 0 || weekday === 6) continue;
    const close = fromExchangeTime(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), CLOSE_HOUR);
    if (close > from) return close;
  }
  throw new Error("no session close within a week");
}

/** The trade date a moment belongs to: the session that opens Sunday 17:00 CT trades as Monday. */
export function tradeDate(ms: number): string {
  const t = exchangeTime(ms);
  const rollForward =
    t.hour >= OPEN_HOUR
      ? t.weekday === 5
        ? 3
        : t.weekday === 6
          ? 2
          : 1
      : t.weekday === 6
        ? 2
        : t.weekday === 0
          ? 1
          : 0;
  const d = new Date(Date.UTC(t.year, t.month - 1, t.day + rollForward));
  return d.toISOString().slice(0, 10);
}

/** The end of the trading day `ms` belongs to: the open of the next session (17:00 CT after the close). */
export const tradingDayEnd = (ms: number): number => nextOpen(nextClose(ms));

/** Globex hours as the engine's risk rules ask for them. */
export const GLOBEX_CALENDAR = { dayEnd: tradingDayEnd, nextClose } as const;
