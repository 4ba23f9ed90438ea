import type { Logger } from "../../log/logger";
import { resolveSymbol } from "../instruments/symbols";
import type { RollEvent } from "./feed-types";

/** Each root's contract now, and the one it moves to once its positions are closed. */
export interface ContractEntry {
  symbol: string;
  instrumentId: number;
  contract: string;
  next?: { instrumentId: number; contract: string };
}

/** What the roll state needs from the service that owns it. */
export interface RollHost {
  /** instrument_id → root and → raw contract: the service's maps, kept current here from mappings. */
  readonly rootById: Map<number, string>;
  readonly contractById: Map<number, string>;
  readonly logger: Logger;
  continuous(root: string): string;
  /** Raw-symbol subscriptions (mbp-1 and, with Databento, bars and definitions) on the running session. */
  subscribeRaw(raw: string): void;
  forget(raw: string): void;
  /** Are positions open on this root's current contract? */
  holdRoll(root: string): Promise<boolean>;
  emit(r: RollEvent): void;
  /** The root's prices left this contract (browsers forget its book). */
  retired(root: string, instrumentId: number): void;
}

/**
 * Which contract of each root prints: the continuous symbol's, unless positions are open on the
 * old one — then the old one streams on (by its own name too, across sessions) until every one
 * is closed, and the symbol rolls after.
 */
export class ContractRolls {
  /** Per root, the contract whose prints flow (engine, bars, browsers). */
  private readonly activeByRoot = new Map<string, number>();
  /** A newer mapping that waits while positions are open on the active contract. */
  readonly pendingRoll = new Map<string, { id: number; told: boolean }>();
  /** Raw-symbol subscriptions that keep a held contract streaming across sessions, by root. */
  private readonly heldSubs = new Map<string, string>();
  /** Contracts held before a restart (stored), by root: until their mapping arrives, no other contract of the root prints. */
  private readonly heldAtStart = new Map<string, string>();

  constructor(private readonly host: RollHost) {}

  /** Held contracts by name, for a new session's subscriptions. */
  heldSymbols(): string[] {
    return [...this.heldSubs.values()];
  }

  /** Does a record of this instrument print? Only the root's current contract does. */
  admits(id: number): boolean {
    const root = this.host.rootById.get(id);
    if (root === undefined) return true;
    const active = this.activeByRoot.get(root);
    if (active === undefined) {
      // Held before a restart: only that contract may become the root's.
      const want = this.heldAtStart.get(root);
      if (want !== undefined && this.host.contractById.get(id) !== want) return false;
      this.activeByRoot.set(root, id);
      return true;
    }
    return active === id;
  }

  contracts(): ContractEntry[] {
    const { contractById } = this.host;
    return [...this.activeByRoot].map(([symbol, id]) => {
      const p = this.pendingRoll.get(symbol);
      return {
        symbol,
        instrumentId: id,
        contract: contractById.get(id) ?? symbol,
        ...(p ? { next: { instrumentId: p.id, contract: contractById.get(p.id) ?? symbol } } : {}),
      };
    });
  }

  /** A follower takes the feed leader's contracts (the leader saw the mappings and decided the rolls). */
  follow(list: readonly ContractEntry[]): void {
    const { rootById, contractById } = this.host;
    for (const c of list) {
      rootById.set(c.instrumentId, c.symbol);
      contractById.set(c.instrumentId, c.contract);
      const before = this.activeByRoot.get(c.symbol);
      this.activeByRoot.set(c.symbol, c.instrumentId);
      if (c.next) {
        rootById.set(c.next.instrumentId, c.symbol);
        contractById.set(c.next.instrumentId, c.next.contract);
        if (!this.pendingRoll.has(c.symbol)) {
          this.pendingRoll.set(c.symbol, { id: c.next.instrumentId, told: true });
          this.host.emit({ symbol: c.symbol, from: c.contract, to: c.next.contract, state: "held" });
        }
      } else this.pendingRoll.delete(c.symbol);
      if (before !== undefined && before !== c.instrumentId)
        this.host.emit({
          symbol: c.symbol,
          from: contractById.get(before) ?? c.symbol,
          to: c.contract,
          state: "rolled",
        });
    }
  }

  private subscribeHeld(root: string, raw: string): void {
    if (this.heldSubs.get(root) === raw || !/^[A-Z0-9]+[FGHJKMNQUVXZ]\d{1,2}$/.test(raw)) return;
    this.heldSubs.set(root, raw);
    this.host.subscribeRaw(raw);
  }

  private releaseHeld(root: string): void {
    const raw = this.heldSubs.get(root);
    if (raw === undefined) return;
    this.heldSubs.delete(root);
    this.host.forget(raw);
  }

  /**
   * A roll that was waiting when the server stopped: the root streams `contract` again, by its own
   * name, and only it, until every position is closed; then the continuous symbol's contract takes over.
   */
  resumeHeld(root: string, contract: string): void {
    this.heldAtStart.set(root, contract);
    this.subscribeHeld(root, contract);
  }

  /** The contract a root is held on by a waiting roll (its positions' contract), if any: the archive fills gaps with it. */
  heldContract(root: string): string | undefined {
    const active = this.activeByRoot.get(root);
    return this.pendingRoll.has(root) && active !== undefined ? this.host.contractById.get(active) : undefined;
  }

  /** A new mapping for a root: the contract changes now, or once no position is open on the old one. */
  async considerRoll(root: string): Promise<void> {
    const p = this.pendingRoll.get(root);
    const active = this.activeByRoot.get(root);
    if (!p || active === undefined) return;
    const { contractById, logger } = this.host;
    const from = contractById.get(active) ?? root;
    const to = contractById.get(p.id) ?? root;
    const held = await this.host.holdRoll(root).catch(() => true);
    if (this.pendingRoll.get(root) !== p) return;
    if (held) {
      if (!p.told) {
        p.told = true;
        // By its own name too: a new session (a reconnect, Saturday's restart) maps the continuous symbol to the new contract only.
        this.subscribeHeld(root, from);
        logger.warn("feed.roll_held", {
          symbol: root,
          from,
          to,
          reason:
            "positions are open on the current contract: its prices keep flowing for them; the symbol rolls once every one is closed",
        });
        this.host.emit({ symbol: root, from, to, state: "held" });
      }
      return;
    }
    this.pendingRoll.delete(root);
    this.releaseHeld(root);
    this.activeByRoot.set(root, p.id);
    this.host.retired(root, active);
    logger.info("feed.roll", {
      symbol: root,
      from,
      to,
      instrument_id: p.id,
      reason: `${this.host.continuous(root)} now maps to ${to}`,
    });
    this.host.emit({ symbol: root, from, to, state: "rolled" });
  }

  /** A symbol mapping from the session: the instrument's root and contract, and perhaps a roll. */
  onMapping(instrumentId: number, raw: string, requested: string): void {
    const r = resolveSymbol(requested);
    if (!r.ok) return;
    const root = r.value.instrument.root;
    this.host.rootById.set(instrumentId, root);
    this.host.contractById.set(instrumentId, raw);
    const active = this.activeByRoot.get(root);
    // A contract asked for by its own name (a held roll's) maps only itself; a continuous symbol's new contract is a roll.
    const byName = r.value.contract !== undefined;
    const want = this.heldAtStart.get(root);
    if (want !== undefined) {
      // A roll that waited when the server stopped: the held contract prints, the continuous symbol's waits.
      if (raw === want) {
        this.heldAtStart.delete(root);
        this.activeByRoot.set(root, instrumentId);
        if (active !== undefined && active !== instrumentId) this.pendingRoll.set(root, { id: active, told: true });
      } else if (!byName && this.pendingRoll.get(root)?.id !== instrumentId) {
        this.activeByRoot.delete(root);
        this.pendingRoll.set(root, { id: instrumentId, told: true });
      }
    } else if (active === undefined) this.activeByRoot.set(root, instrumentId);
    else if (byName) {
      // Nothing to decide: the held contract streams on under its own subscription.
    } else if (active !== instrumentId && this.pendingRoll.get(root)?.id !== instrumentId) {
      this.pendingRoll.set(root, { id: instrumentId, told: false });
      void this.considerRoll(root);
    } else if (active === instrumentId && this.pendingRoll.has(root)) {
      // The continuous symbol points back at the held contract: nothing waits any more.
      this.pendingRoll.delete(root);
      this.releaseHeld(root);
    }
  }
}
