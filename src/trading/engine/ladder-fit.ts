import type { Target } from "./types";

export interface LevelInput {
  enabled: boolean;
  qty: number;
  target: Target;
}

/**
 * A ladder cut to fit a quantity (docs/trading-rules.md R5.4): enabled levels are taken nearest
 * first until their quantities add up to `qty`, the last one cut down; levels beyond are left
 * out. Off levels stay as they are (they take nothing). Returns the ladder in its own order and
 * what was cut, for the log.
 */
export function fitLadder(
  levels: readonly LevelInput[],
  qty: number,
  distance: (t: Target) => number,
): { levels: LevelInput[]; cut: string[] } {
  const order = levels.map((l, i) => ({ l, i, d: distance(l.target) })).sort((a, b) => a.d - b.d || a.i - b.i);
  let left = qty;
  const kept = new Map<number, LevelInput>();
  const cut: string[] = [];
  for (const { l, i } of order) {
    if (!l.enabled) {
      kept.set(i, l);
      continue;
    }
    const take = Math.min(l.qty, left);
    left -= take;
    if (take > 0) kept.set(i, take === l.qty ? l : { ...l, qty: take });
    if (take < l.qty) cut.push(take > 0 ? `TP${i + 1} ${l.qty} → ${take}` : `TP${i + 1} left out`);
  }
  return { levels: levels.flatMap((_, i) => (kept.has(i) ? [kept.get(i)!] : [])), cut };
}
