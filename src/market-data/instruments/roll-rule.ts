import { exchangeTime, fromExchangeTime } from "./trading-hours";

/**
 * Which real contract a continuous symbol means. Databento maps `ROOT.<rule>.0` to one contract
 * per day: `c` the nearest expiry (for metals often a thin serial or spot month, for index
 * futures the expiring contract through roll week), `v` the most traded, `n` the largest open
 * interest. The same rule is used by the live feed, the archive's backfill and replay downloads.
 */
export type RollRule = "volume" | "open-interest" | "calendar";
const CODE: Record<RollRule, string> = { volume: "v", "open-interest": "n", calendar: "c" };
const RULES = Object.keys(CODE) as RollRule[];

export interface RollRules {
  default: RollRule;
  bySymbol: Readonly<Record<string, RollRule>>;
}

export const DEFAULT_ROLL_RULES: RollRules = { default: "volume", bySymbol: {} };

/** `volume`, or `volume,GC:open-interest,SI:calendar` (a default, then per-symbol exceptions). */
export function parseRollRules(text: string, roots: readonly string[]): RollRules {
  const out: { default: RollRule; bySymbol: Record<string, RollRule> } = { default: "volume", bySymbol: {} };
  for (const part of text
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [a, b] = part.split(":").map((x) => x.trim());
    const rule = (b ?? a) as RollRule;
    if (!RULES.includes(rule)) throw new Error(`"${b ?? a}" is not a roll rule (${RULES.join(", ")})`);
    if (b === undefined) out.default = rule;
    else if (!roots.includes(a!.toUpperCase())) throw new Error(`unknown symbol ${a} (known: ${roots.join(", ")})`);
    else out.bySymbol[a!.toUpperCase()] = rule;
  }
  return out;
}

export function rollRuleOf(rules: RollRules, root: string): RollRule {
  return rules.bySymbol[root] ?? rules.default;
}

/** `MES.v.0`: the front contract of a root under its rule. */
export function continuousSymbol(rules: RollRules, root: string): string {
  return `${root}.${CODE[rollRuleOf(rules, root)]}.0`;
}

/**
 * When to subscribe again, identically, so the gateway maps the continuous symbols anew: the
 * gateway never re-points a running subscription at a roll. A minute after Globex reopens
 * (17:00 CT) every day — after the daily close, the weekend and Saturday's gateway restart.
 */
export function nextResubscribeMs(nowMs: number): number {
  const t = exchangeTime(nowMs);
  let at = fromExchangeTime(t.year, t.month, t.day, 17, 1);
  if (at <= nowMs) {
    const next = exchangeTime(nowMs + 24 * 3_600_000);
    at = fromExchangeTime(next.year, next.month, next.day, 17, 1);
  }
  return at;
}
