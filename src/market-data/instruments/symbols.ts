import { CATALOGUE, instrumentByRoot, type Instrument } from "./catalogue";

export interface ResolvedSymbol {
  instrument: Instrument;
  /** Present when the trader named a contract month (MESZ5, MESZ2025). */
  contract?: { monthCode: string; year: number };
}

export type Resolution = { ok: true; value: ResolvedSymbol } | { ok: false; message: string };

const MONTH_CODES = "FGHJKMNQUVXZ";
// Longest first so "MES" is tried before "ES" would match a suffix-less prefix.
const ROOTS_LONGEST_FIRST = [...CATALOGUE.map((i) => i.root)].sort((a, b) => b.length - a.length);

/** Single-digit and two-digit years are read as the nearest year not before `now`'s decade start. */
function expandYear(digits: string, now: Date): number {
  if (digits.length === 4) return Number(digits);
  const current = now.getUTCFullYear();
  const mod = 10 ** digits.length;
  const base = current - (current % mod);
  let year = base + Number(digits);
  // A contract more than a year in the past is read as the next cycle (Z9 in 2029 → 2029, H0 in 2029 → 2030).
  if (year < current - 1) year += mod;
  return year;
}

/**
 * What a trader or a charting tool types, resolved to one instrument:
 * `MES`, `mes`, `MES1!` (TradingView continuous), `MESZ5`, `MESZ25`, `MESZ2025`, `MES.c.0`, `MES.FUT`.
 */
export function resolveSymbol(input: string, now: Date = new Date()): Resolution {
  const raw = input.trim().toUpperCase();
  if (raw.length === 0 || raw.length > 32) return { ok: false, message: "symbol must be 1 to 32 characters" };
  // Only whole suffixes are removed: the original stripped the characters '1' and '!' one by one.
  const base = raw
    .replace(/\d!$/, "")
    .replace(/\.[CNV]\.\d{1,2}$/, "")
    .replace(/\.(FUT)$/, "");
  const direct = instrumentByRoot(base);
  if (direct) return { ok: true, value: { instrument: direct } };
  for (const root of ROOTS_LONGEST_FIRST) {
    if (!base.startsWith(root)) continue;
    const m = /^([A-Z])(\d|\d{2}|\d{4})$/.exec(base.slice(root.length));
    if (!m) continue;
    const instrument = instrumentByRoot(root)!;
    const [, monthCode, yearDigits] = m as unknown as [string, string, string];
    if (!MONTH_CODES.includes(monthCode)) continue;
    if (!instrument.months.includes(monthCode)) {
      return {
        ok: false,
        message: `${input.trim()}: ${root} has no ${monthCode} contract (listed months: ${instrument.months.split("").join(" ")})`,
      };
    }
    return { ok: true, value: { instrument, contract: { monthCode, year: expandYear(yearDigits, now) } } };
  }
  return {
    ok: false,
    message: `unknown symbol "${input.trim()}" (supported: ${CATALOGUE.map((i) => i.root).join(", ")})`,
  };
}
