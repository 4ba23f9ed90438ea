/**
 * How the pages write money, exchange time and countdowns: one set of rules for the server's
 * views and the browser's scripts. The rules are one self-contained function (it reaches nothing
 * outside itself but the language's globals), so the server can also send its very text to the
 * browser as the ES module /static/js/format.js (`formatModule`, served by web/assets.ts): the
 * two sides cannot drift, and no bundling step is needed.
 */
export function formatRules() {
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
  const ctStamp = (at: number | Date): string => STAMP.format(at).replace(",", "");

  return {
    ctStamp,
    /** "2026-12-03 07:45:02 CT" */
    ctTime: (at: number | Date): string => `${ctStamp(at)} CT`,
    /** "2026-12-03 07:45": a closed trade in the journal, to the minute. */
    ctMinute: (at: number | Date): string => MINUTE.format(at).replace(",", ""),
    /** "2026-12-03, 07:45" */
    ctShort: (at: number | Date): string => SHORT.format(at),
    /** "12-03, 07:45": a range the trader is typing, where the year goes without saying. */
    ctMonthDayMinute: (at: number | Date): string => MONTH_DAY_MINUTE.format(at),
    /** "07:45:02" */
    ctClock: (at: number | Date): string => CLOCK.format(at),
    /** The hour on CME's clock as a number (8 for 08:05): where a Globex session starts (17:00). */
    ctHour: (at: number | Date): number => Number(HOUR.format(at)),

    /** "$1,234.50", "-$12.00"; no figure (no price yet) is "—". */
    money(v: number | null | undefined): string {
      if (v === null || v === undefined) return "—";
      const digits = Math.abs(v).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
      return `${v < 0 ? "-" : ""}$${digits}`;
    },

    /** The class a signed figure is shown in: green above zero, red below, plain at zero or without one. */
    tone: (v: number | null | undefined): string =>
      v === null || v === undefined || v === 0 ? "" : v > 0 ? "long" : "short",

    /** Time left to a deadline as "m:ss", whole seconds, never negative. */
    countdown(deadlineMs: number, nowMs: number): string {
      const left = Math.max(0, Math.round((deadlineMs - nowMs) / 1000));
      return `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
    },
  };
}

const rules = formatRules();
export const { ctStamp, ctTime, ctMinute, ctShort, ctMonthDayMinute, ctClock, ctHour, money, tone, countdown } = rules;

/** The same rules as the browser's ES module: the function's own text, run once, its results exported. */
export const formatModule = (): string =>
  `const rules = (${formatRules.toString()})();\nexport const { ${Object.keys(rules).join(", ")} } = rules;\n`;
