import type { Msg } from "@nats-io/transport-node";
import type { Logger } from "../log/logger";
import { RecordCursor } from "../market-data/dbn/cursor";
import type { MarketDataService } from "../market-data/service/market-data-service";
import type { NatsLink } from "./nats-link";

const RECORDS = "md.rec.";
const WATCH = "md.watch";
/** The leader's view of each symbol's contract (and a held roll), so followers print the same one. */
const CONTRACTS = "md.contracts";
/** [u32 epoch][u8 DBN version][u8 ts_out][2 spare] before the records. */
const HEAD = 8;
const ANNOUNCE_MS = 2_000;

/**
 * One instance of a cluster holds the Databento session (Databento limits sessions per dataset);
 * it hands every record it decodes to the others, per symbol: the records of one socket chunk
 * go out as one message per symbol, and each instance feeds them through its own market data
 * path, so engines, bars and browsers everywhere see the same prints in the same order. The
 * leader's epoch goes with each message: records of an older leader that was paused past its
 * lease are dropped. Followers announce the symbols they need (open trades, watch lists), and
 * the leader subscribes to them.
 */
export class FeedRelay {
  private epoch = 0;
  private highest = 0;
  private readonly batches = new Map<string, Uint8Array[]>();
  private scheduled = false;
  private readonly cursor = new RecordCursor();
  private announced = "";
  private ticks = 0;
  private readonly timer: ReturnType<typeof setInterval>;
  /** Records dropped because their leader's epoch was older than one already seen (for tests and health). */
  stale = 0;

  constructor(
    private readonly link: NatsLink,
    private readonly marketData: MarketDataService,
    private readonly logger: Logger,
  ) {
    marketData.role = "follower";
    link.subscribe(`${RECORDS}*`, (msg, subject) => this.receive(msg, subject));
    link.subscribe(WATCH, (msg) => {
      if (!this.epoch) return;
      const roots = new TextDecoder().decode(msg.data).split(",").filter(Boolean);
      const added = marketData.watch(roots);
      if (added.length)
        logger.info("feed.watch_requested", {
          symbols: added.join(","),
          reason: "another instance needs them (open trade or watch list)",
        });
    });
    link.subscribe(CONTRACTS, (msg) => {
      if (this.epoch) return;
      const m = JSON.parse(new TextDecoder().decode(msg.data)) as {
        epoch: number;
        list: ReturnType<MarketDataService["contracts"]>;
      };
      if (m.epoch < this.highest) return;
      this.highest = m.epoch;
      marketData.followContracts(m.list);
    });
    marketData.onRoll(() => this.publishContracts());
    this.timer = setInterval(() => {
      this.announce();
      this.publishContracts();
    }, ANNOUNCE_MS / 2);
    this.timer.unref?.();
  }

  /** This instance holds the session now, under this lease epoch. */
  lead(epoch: number): void {
    this.epoch = epoch;
    this.highest = Math.max(this.highest, epoch);
    this.marketData.role = "leader";
    this.marketData.relayTo((root, c) => this.add(root, c));
  }

  /** Another instance holds it: records arrive from there. */
  follow(): void {
    this.epoch = 0;
    this.marketData.role = "follower";
    this.marketData.relayTo(undefined);
    this.announce(true);
  }

  private publishContracts(): void {
    if (this.epoch)
      this.link.publish(CONTRACTS, JSON.stringify({ epoch: this.epoch, list: this.marketData.contracts() }));
  }

  /** Tells the leader which symbols this instance needs: when they change, and now and then for a new leader. */
  announce(force = false): void {
    if (this.epoch) return;
    const list = this.marketData.symbols.sort().join(",");
    // Unchanged lists are repeated every ten seconds, for a leader that has just taken over.
    if (!force && list === this.announced && ++this.ticks % 10 !== 0) return;
    this.announced = list;
    this.link.publish(WATCH, list);
  }

  private add(root: string, c: RecordCursor): void {
    const bytes = new Uint8Array(c.view.buffer, c.view.byteOffset + c.offset, c.size).slice();
    let list = this.batches.get(root);
    if (!list) this.batches.set(root, (list = []));
    list.push(bytes);
    if (!this.scheduled) {
      this.scheduled = true;
      // After the socket chunk has been decoded: one message per symbol per chunk.
      queueMicrotask(() => this.flush());
    }
  }

  private flush(): void {
    this.scheduled = false;
    const stream = this.marketData.stream;
    for (const [root, records] of this.batches) {
      let n = HEAD;
      for (const r of records) n += r.length;
      const out = new Uint8Array(n);
      const dv = new DataView(out.buffer);
      dv.setUint32(0, this.epoch);
      out[4] = stream.version;
      out[5] = stream.tsOut ? 1 : 0;
      let off = HEAD;
      for (const r of records) {
        out.set(r, off);
        off += r.length;
      }
      this.link.publish(`${RECORDS}${root}`, out);
    }
    this.batches.clear();
  }

  private receive(msg: Msg, subject: string): void {
    if (this.epoch) return;
    const data = msg.data;
    if (data.length < HEAD) return;
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const epoch = view.getUint32(0);
    if (epoch < this.highest) {
      this.stale++;
      if (this.stale === 1 || this.stale % 1000 === 0)
        this.logger.warn("feed.stale_leader", {
          epoch,
          current: this.highest,
          reason: "records from a former feed leader (paused past its lease): dropped",
        });
      return;
    }
    this.highest = epoch;
    const root = subject.slice(RECORDS.length);
    const stream = { version: data[4]!, tsOut: data[5] === 1 };
    for (let off = HEAD; off + 16 <= data.length; ) {
      const c = this.cursor.at(view, off);
      const size = c.size;
      if (size < 16 || off + size > data.length) break;
      this.marketData.injectRecord(root, c, stream);
      off += size;
    }
  }

  stop(): void {
    clearInterval(this.timer);
    this.marketData.relayTo(undefined);
  }
}
