/**
 * Trigger bands: for each position the nearest prices above and below at which one of its rules
 * acts, and per book the band of all of them, inside which a print costs two comparisons.
 */
import type { Book } from "./context";
import type { Position } from "./types";

/**
 * Prices at or beyond which a print makes one of this position's rules act (∓∞: none), written
 * to ups[i]/downs[i]: this runs for every position a print touches, so it allocates nothing.
 */
export function positionBand(p: Position, ups: number[], downs: number[], i: number, lossAt: number): void {
  let up = Infinity;
  let down = -Infinity;
  if (p.qty > 0 && !p.closing) {
    const long = p.side === "long";
    const s = p.stop;
    if (s && s.status === "armed") {
      if (long) down = s.price;
      else up = s.price;
      if (s.trailing) {
        if (long) up = Math.min(up, p.best + 1);
        else down = Math.max(down, p.best - 1);
      }
    }
    const ladder = p.ladder;
    for (let j = 0; j < ladder.length; j++) {
      const l = ladder[j]!;
      if (l.status !== "armed" || !l.enabled) continue;
      if (long) up = Math.min(up, l.price);
      else down = Math.max(down, l.price);
    }
    // The account's daily loss limit (risk.ts); NaN compares false.
    if (long ? lossAt > down : lossAt < up) {
      if (long) down = lossAt;
      else up = lossAt;
    }
    if (p.timer?.phase === "waiting-for-entry") {
      const q = BigInt(p.qty);
      if (long) down = Math.max(down, Number(p.cost / q));
      else up = Math.min(up, Number((p.cost + q - 1n) / q));
    }
  }
  ups[i] = up;
  downs[i] = down;
}

/** The quiet band: the nearest price above and below at which any rule of any position acts. */
export function rebuild(b: Book): void {
  let up = Infinity;
  let down = -Infinity;
  const ps = b.positions;
  const ups = b.ups;
  const downs = b.downs;
  const stale = b.stale;
  const check = b.staleCount > 0;
  for (let i = 0; i < ps.length; i++) {
    if (check && stale[i]) {
      positionBand(ps[i]!, ups, downs, i, b.lossAt[i]!);
      stale[i] = 0;
    }
    if (ups[i]! < up) up = ups[i]!;
    if (downs[i]! > down) down = downs[i]!;
  }
  b.up = up;
  b.down = down;
  b.staleCount = 0;
}
