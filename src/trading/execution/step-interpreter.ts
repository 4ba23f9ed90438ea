import { type Effect, type EngineEvent, noteChange, type Position } from "../engine/types";

type Of<T extends Effect["type"]> = Extract<Effect, { type: T }>;

/**
 * What a host does with each kind of effect. The live engine service records them for its next
 * write and routes orders after it; a replay session fills orders at once and keeps the rest
 * for its own store.
 */
export interface StepPorts {
  /**
   * An order to send or withdraw. What the engine answered, when the order was filled at once
   * (a replay's fill model), comes back here and is interpreted after the effects already queued.
   */
  route(f: Of<"submit"> | Of<"cancel">): readonly Effect[] | undefined;
  /** What is stored of the step: its events, closed trades, and order rows the engine filled by rule. */
  persist(f: Of<"event"> | Of<"closed"> | Of<"filled"> | Of<"day">): void;
  /** A position changed (its key is announced with its events once the step is stored). */
  changed?(f: Of<"changed">): void;
}

/**
 * One step's effects through the host's ports, in the engine's order, with the consequences of
 * fills made at once queued behind them (breadth first); events and changes are grouped per
 * position in `changes` for the announcement (`announce`).
 */
export function interpret(fx: readonly Effect[], changes: Map<string, EngineEvent[]>, ports: StepPorts): void {
  // The engine makes a new effect list per step, so the step's own is read as it is; only the
  // answers of fills made at once need a queue behind it.
  let queue: readonly Effect[] = fx;
  for (let i = 0; i < queue.length; i++) {
    const f = queue[i]!;
    switch (f.type) {
      case "submit":
      case "cancel": {
        const more = ports.route(f);
        if (more?.length) {
          if (queue === fx) queue = [...fx];
          (queue as Effect[]).push(...more);
        }
        break;
      }
      case "event":
        ports.persist(f);
        noteChange(changes, f);
        break;
      case "changed":
        ports.changed?.(f);
        noteChange(changes, f);
        break;
      case "closed":
      case "filled":
      case "day":
        ports.persist(f);
        break;
    }
  }
}

/** The positions a stored batch changed, each with its events, to whoever announces them. */
export function announce(
  changes: ReadonlyMap<string, EngineEvent[]>,
  positionByKey: (key: string) => Position | undefined,
  each: (position: Position, events: EngineEvent[]) => void,
): void {
  for (const [key, events] of changes) {
    const pos = positionByKey(key);
    if (pos) each(pos, events);
  }
}

/** The account of a position key or an order id ("12:MES", "12:MES:t1:o3"). */
export const accountOf = (id: string) => Number(id.slice(0, id.indexOf(":")));

/** The account an effect belongs to. */
export function accountOfEffect(f: Effect): number {
  switch (f.type) {
    case "submit":
    case "cancel":
      return f.order.accountId;
    case "event":
      return f.event.accountId;
    case "changed":
      return accountOf(f.key);
    case "closed":
      return f.trade.accountId;
    case "filled":
      return accountOf(f.orderId);
    case "day":
      return f.accountId;
  }
}
