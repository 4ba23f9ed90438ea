/**
 * How the pages write money, exchange time and countdowns: one set of rules for the server's
 * views and the browser's scripts. The desk's bundle imports this file; the other page scripts
 * import it as /static/js/format.js, bundled from it (web/page-bundles.ts), so the two sides
 * cannot drift.
 */

/** Exchange time: CME's clock, America/Chicago (DST included), whatever the server's or browser's zone. */
const chicago = (locale: string, options: Intl.DateTimeFormatOptions) =>
  new Intl.DateTimeFormat(locale, { timeZone: "America/Chicago", hour12: false, ...options });
const TWO = "2-digit" as const;
const STAMP = chicago("en-CA", { year: "numeric", month: TWO, day: TWO, hour: TWO, minute: TWO, second: TWO });
const SHORT = chicago("en-CA", { dateStyle: "short", timeStyle: "short" });
const MINUTE = chicago("en-CA", { year: "numeric", month: TWO, day: TWO, hour: TWO, minute: TWO });
const MONTH_DAY_MINUTE = chicago("en-CA", { month: TWO, day: TWO, hour: TWO, minute: TWO });
const CLOCK = chicago("en-GB", { hour: TWO, minute: TWO, second: TWO });
const HOUR = chicago("en-US", { hour: "numeric" });

/** "2026-12-03 07:45:02" */
export const ctStamp = (at: number | Date): string => STAMP.format(at).replace(",", "");
/** "2026-12-03 07:45:02 CT" */
export const ctTime = (at: number | Date): string => `${ctStamp(at)} CT`;
/** "2026-12-03 07:45": a closed trade in the journal, to the minute. */
export const ctMinute = (at: number | Date): string => MINUTE.format(at).replace(",", "");
/** "2026-12-03, 07:45" */
export const ctShort = (at: number | Date): string => SHORT.format(at);
/** "12-03, 07:45": a range the trader is typing, where the year goes without saying. */
export const ctMonthDayMinute = (at: number | Date): string => MONTH_DAY_MINUTE.format(at);
/** "07:45:02" */
export const ctClock = (at: number | Date): string => CLOCK.format(at);
/** The hour on CME's clock as a number (8 for 08:05): where a Globex session starts (17:00). */
export const ctHour = (at: number | Date): number => Number(HOUR.format(at));

/** "$1,234.50", "-$12.00"; no figure (no price yet) is "—". */
export function money(v: number | null | undefined): string {
  if (v === null || v === undefined) return "—";
  const digits = Math.abs(v).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  return `${v < 0 ? "-" : ""}$${digits}`;
}

/** The class a signed figure is shown in: green above zero, red below, plain at zero or without one. */
export const tone = (v: number | null | undefined): string =>
  v === null || v === undefined || v === 0 ? "" : v > 0 ? "long" : "short";

/** Time left to a deadline as "m:ss", whole seconds, never negative. */
export function countdown(deadlineMs: number, nowMs: number): string {
  const left = Math.max(0, Math.round((deadlineMs - nowMs) / 1000));
  return `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
}
