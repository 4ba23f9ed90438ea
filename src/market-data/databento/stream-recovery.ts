import { SCHEMA_RTYPES } from "../dbn/constants";

const SECOND_NS = 1_000_000_000n;
const TWO_32 = 4294967296;

/**
 * How far before the newest record delivered (on any schema) the records a schema sends after a
 * drop can be stamped: an instrument quiet for longer does not pull the replay start back further,
 * since whatever it sends next is newer than that. Tick schemas: a minute, for the spread of
 * ts_event across instruments and the stream's order; a bar schema: two of its intervals, because
 * a bar is stamped at its open and published when it closes, after the interval in progress.
 */
function lookbackNs(schema: string): bigint {
  const bar = /^ohlcv-1([smhd])$/.exec(schema);
  const unit = bar ? { s: 1n, m: 60n, h: 3600n, d: 86_400n }[bar[1] as "s" | "m" | "h" | "d"] : 0n;
  const twoBars = 2n * unit * SECOND_NS;
  return twoBars > 60n * SECOND_NS ? twoBars : 60n * SECOND_NS;
}

/** What has been delivered of one schema (record type) for one instrument: Databento's recovery recipe. */
interface Seen {
  /** The newest ts_event delivered, as two u32 halves (no BigInt per record). */
  hi: number;
  lo: number;
  /** Records delivered with exactly that ts_event. */
  count: number;
  /** This session replays the schema: records up to where it ended are copies, dropped until one is new. */
  replaying: boolean;
  /** Copies at exactly the newest ts_event still to drop in this replay. */
  skip: number;
}

/** A replay start as UNIX ns (ISO 8601 accepted), undefined when unreadable. */
export function toNs(t: bigint | string): bigint | undefined {
  if (typeof t === "bigint") return t;
  if (/^\d+$/.test(t)) return BigInt(t);
  const ms = Date.parse(t);
  return Number.isFinite(ms) ? BigInt(ms) * 1_000_000n : undefined;
}

/**
 * Databento's recovery recipe for one client across its sessions: per record type and instrument
 * the last ts_event delivered and the count of records at it; after a drop each schema replays
 * from the lowest of its instruments, and what was already delivered is dropped.
 */
export class StreamRecovery {
  // The newest ts_event delivered on any schema, as two u32 halves: where the stream ended.
  private lastHi = 0;
  private lastLo = 0;
  private delivered = false;
  /** Per record type × instrument (rtype · 2^32 + instrument_id): where that stream ended. */
  private readonly seen = new Map<number, Seen>();
  // A feed sends runs of one instrument: the last entry spares the map lookup.
  private lastKey = -1;
  private lastSeen: Seen | undefined;

  get lastTsEventNs(): bigint | undefined {
    return this.delivered ? (BigInt(this.lastHi) << 32n) | BigInt(this.lastLo) : undefined;
  }

  /**
   * Where a schema's replay starts: Databento's recipe, the lowest last ts_event across the
   * schema's instruments — but no earlier than its lookback before the newest record delivered
   * on any schema (a quiet or expired instrument would otherwise pull it back by hours). A schema
   * with nothing delivered yet starts at that lookback too: an ohlcv-1m bar stamped at the open
   * of the minute in progress is then still replayed. Nothing delivered at all: the caller's start.
   */
  replayStart(schema: string, callerStart: bigint | string | undefined): bigint | string | undefined {
    const end = this.lastTsEventNs;
    if (end === undefined) return callerStart;
    let floor = end - lookbackNs(schema);
    if (floor < 1n) floor = 1n; // start=0 would mean "everything there is"
    const rtypes = SCHEMA_RTYPES[schema] ?? [];
    let lowest: bigint | undefined;
    for (const [key, s] of this.seen) {
      if (!rtypes.includes(Math.floor(key / TWO_32))) continue;
      const ts = (BigInt(s.hi) << 32n) | BigInt(s.lo);
      if (lowest === undefined || ts < lowest) lowest = ts;
    }
    return lowest !== undefined && lowest > floor ? lowest : floor;
  }

  /** A new session: the schemas it replays drop, per instrument, what was delivered already. */
  beginReplay(schemas: readonly string[], subs: readonly { schema: string }[]): void {
    const replayed = new Set<number>();
    const subscribed = new Set<number>();
    for (const s of schemas) for (const r of SCHEMA_RTYPES[s] ?? []) replayed.add(r);
    for (const s of subs) for (const r of SCHEMA_RTYPES[s.schema] ?? []) subscribed.add(r);
    for (const [key, s] of this.seen) {
      const rtype = Math.floor(key / TWO_32);
      // A record type no subscription names is taken as replayed whenever anything is.
      s.replaying = replayed.has(rtype) || (!subscribed.has(rtype) && schemas.length > 0);
      s.skip = s.replaying ? s.count : 0;
    }
  }

  /** A data record: false if it is a replayed copy of one delivered already (dropped), else it is noted as delivered. */
  isNew(view: DataView, offset: number, rtype: number): boolean {
    const lo = view.getUint32(offset + 8, true);
    const hi = view.getUint32(offset + 12, true);
    const key = rtype * TWO_32 + view.getUint32(offset + 4, true);
    let s = key === this.lastKey ? this.lastSeen : this.seen.get(key);
    if (s === undefined) this.seen.set(key, (s = { hi, lo, count: 0, replaying: false, skip: 0 }));
    this.lastKey = key;
    this.lastSeen = s;
    const newer = hi > s.hi || (hi === s.hi && lo > s.lo);
    const same = hi === s.hi && lo === s.lo;
    if (s.replaying) {
      // A replayed copy: older than where this stream ended, or one of the `count` records at it.
      if (!newer && (!same || s.skip > 0)) {
        if (same) s.skip--;
        return false;
      }
      s.replaying = false; // caught up: from here on everything of this stream is new
    }
    if (newer) {
      s.hi = hi;
      s.lo = lo;
      s.count = 1;
    } else if (same) s.count++;
    if (!this.delivered || hi > this.lastHi || (hi === this.lastHi && lo > this.lastLo)) {
      this.delivered = true;
      this.lastHi = hi;
      this.lastLo = lo;
    }
    return true;
  }
}
