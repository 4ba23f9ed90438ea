import type { Bracket, StopConfig, Target } from "./engine/types";
import type { PositionView } from "./position-view";
import type * as S from "./schemas";

/** Parsed request parts in the engine's terms: the shapes are the same, the names are the engine's. */
export const toTarget = (t: S.TargetInput): Target => t as Target;

export function toStop(s: S.StopInput): StopConfig {
  return {
    kind: s.kind,
    initial: s.initial as StopConfig["initial"],
    limitOffsetTicks: s.limitOffsetTicks,
    trailBy: s.trailBy as Target | undefined,
    trailAfterTp1: s.trailAfterTp1,
    breakevenAfterTp1: s.breakevenAfterTp1 ?? null,
  };
}

export const toTimer = (t: S.TimerInput | null | undefined): NonNullable<Bracket["timer"]> | null =>
  t ? { durationMs: t.seconds * 1000, action: t.action, mode: t.mode } : null;

/** `n`: the number the trader knows an existing level by (kept through the edit, R2.5). */
export type LevelInput = { enabled: boolean; qty: number; target: S.TargetInput; n?: number };

export const toLevels = (levels: readonly LevelInput[]) =>
  levels.map((l) => ({
    enabled: l.enabled,
    qty: l.qty,
    target: toTarget(l.target),
    ...(l.n !== undefined ? { n: l.n } : {}),
  }));

export interface BracketInput {
  ladder?: LevelInput[];
  stop?: S.StopInput | null;
  timer?: S.TimerInput | null;
}

export function toBracket(b: BracketInput, ladder: Bracket["ladder"], atr: number | undefined): Bracket {
  return { ladder, stop: b.stop ? toStop(b.stop) : null, atr, timer: toTimer(b.timer) };
}

/** A conflict says what the position is now, so the trader can decide again: " — now long 2 @ …". */
export function describeNow(current: PositionView | null): string {
  if (!current || current.qty <= 0) return "";
  const tps = current.ladder.map((l) => `${l.qty}@${l.price}${l.status === "armed" ? "" : ` ${l.status}`}`).join(" ");
  const stop = current.stop ? current.stop.price : "none";
  return ` — now ${current.side} ${current.qty} @ ${current.avgEntry}, stop ${stop}${current.ladder.length ? `, TPs ${tps}` : ""}`;
}
