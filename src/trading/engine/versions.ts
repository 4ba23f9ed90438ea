/**
 * Commands against a moving position: optimistic versions refused only when the change meanwhile
 * touched the same parts (R8.1), and idempotency keys so a retried request is applied once.
 */
import { type Command, EngineError, PART, type Position } from "./types";

/** What each command touches: a stale command is refused only when the change meanwhile touched the same (R8.1). */
const INTENT: Record<Command["kind"], number> = {
  order: PART.size | PART.trade,
  record: PART.size | PART.trade,
  sync: 0,
  exit: PART.trade,
  "convert-to-market": PART.trade,
  clear: PART.trade,
  // The order is named by its id: gone or filled meanwhile, the cancel is refused for that reason.
  "cancel-order": 0,
  "set-ladder": PART.ladder | PART.size | PART.trade,
  "update-level": PART.ladder | PART.size | PART.trade,
  "set-stop": PART.stop | PART.trade,
  "move-stop": PART.stop | PART.trade,
  "set-timer": PART.timer | PART.trade,
};

/** The parts changed after `version` (all of them when the log does not reach back that far). */
function changedSince(p: Position, version: number): number {
  if (version > p.version) return PART.all;
  const log = p.edits ?? [];
  let parts = 0;
  let covered = p.version;
  for (let i = log.length - 1; i >= 0 && covered > version; i--) {
    const [from, to, bits] = log[i]!;
    if (to < covered) return PART.all; // a gap: not known what changed
    parts |= bits;
    covered = from - 1;
  }
  return covered > version ? PART.all : parts;
}

const PART_NAMES: [number, string][] = [
  [PART.trade, "a new trade"],
  [PART.size, "its size"],
  [PART.ladder, "the take-profits"],
  [PART.stop, "the stop"],
  [PART.timer, "the timer"],
];
const partNames = (bits: number) =>
  PART_NAMES.filter(([b]) => bits & b)
    .map(([, n]) => n)
    .join(", ") || "it changed";

/** Throws 409 when the position changed since `expected` in a part this command touches. */
export function checkVersion(p: Position | undefined, symbol: string, kind: Command["kind"], expected: number): void {
  if ((p?.version ?? 0) === expected) return;
  const touched = p ? changedSince(p, expected) : PART.all;
  const clash = touched & INTENT[kind];
  if (clash)
    throw new EngineError(
      409,
      `the ${symbol} position changed meanwhile (${partNames(clash)}; version ${p?.version ?? 0}, you edited ${expected})`,
      p,
    );
}

/** How long a command's Idempotency-Key is remembered: a retry within a day is applied once, however many commands came between. */
export const IDEMPOTENCY_MS = 24 * 3_600_000;
/** A bound on the memory a position spends on keys, far above a day of a trader's clicks. */
const IDEMPOTENCY_MAX = 10_000;

type KeyLog = NonNullable<Position["recentCommands"]>;
const keyOf = (e: KeyLog[number]) => (typeof e === "string" ? e : e[0]);
const timeOf = (e: KeyLog[number], now: number) => (typeof e === "string" ? now : e[1]);

export function seenKey(log: KeyLog, key: string, now: number): boolean {
  for (const e of log) if (keyOf(e) === key && now - timeOf(e, now) < IDEMPOTENCY_MS) return true;
  return false;
}

export function rememberKey(log: KeyLog, key: string, now: number): KeyLog {
  const kept = log.filter((e) => now - timeOf(e, now) < IDEMPOTENCY_MS).slice(-(IDEMPOTENCY_MAX - 1));
  kept.push([key, now]);
  return kept;
}
