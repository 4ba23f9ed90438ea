import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { sql, type Kysely, type Transaction } from "kysely";
import type { Database } from "./database";
import { literal } from "./multi-row";

/** A Postgres interval of `ms` milliseconds, for lease expiries. */
export const pgInterval = (ms: number) => sql`${sql.lit(`${ms} milliseconds`)}::interval`;

/** In the text of the error a short fence count raises (see `fenceStatement`). */
const FENCE_MARK = "fenced: shards no longer this instance's: ";

/** The fencing check found a shard no longer ours (another instance took it, or it was released). */
export class FencedError extends Error {
  override name = "FencedError";
  readonly code = "fenced";
}

/** What changes of ownership the engine is told of; `gained` resolves once the shards' state is loaded. */
export interface LeaseListener {
  gained(owns: (userId: number) => boolean, shards: number[]): Promise<unknown>;
  lost(owns: (userId: number) => boolean, shards: number[], reason: string, graceful: boolean): Promise<unknown> | void;
  /** A renewal confirmed the shards: what was committed while the local deadline had passed may go out now. */
  renewed?(): void;
  /** The shard holds something that cannot move (a user's replay lives in this instance's memory): not given back when rebalancing. */
  busy?(owns: (userId: number) => boolean): boolean;
}

export interface LeaseOptions {
  /** How long a lease lasts without renewal; a dead owner's accounts move after this. */
  ttlMs: number;
  /** How often the owner renews, claims free shards and notes itself. */
  renewMs: number;
  /** Share the shards fairly among live instances (cluster mode); else the first keeps them all and others stand by. */
  balance: boolean;
  /** Where this instance serves HTTP, for the others' messages and health. */
  url?: string;
  now?: () => number;
  onError?: (err: unknown) => void;
}

export interface InstanceInfo {
  id: string;
  host: string;
  pid: number;
  startedAt: Date;
  seenAt: Date;
  url: string | null;
  shards: number;
}

/**
 * Account ownership across instances on one Postgres database: a lease per shard of users, with
 * an owner, an epoch and an expiry (migrations/0010). The owner renews its leases every second;
 * another instance claims a shard only once its lease expired, raising the epoch. Every engine
 * write runs `fence()` in its transaction, which locks the shard rows it writes for and checks
 * owner and epoch: a claim waits for that commit, and a paused owner's write after a claim fails.
 * Expiry is judged by the database's clock alone; the local monotonic deadline only decides
 * whether something already committed may still be sent out (`mayRelease`), so an instance
 * that was stopped (SIGSTOP, a long GC) holds back until a renewal says it is still the owner.
 */
export class ShardLeases {
  readonly id = `${hostname()}:${process.pid}:${randomBytes(4).toString("hex")}`;
  private count = 0;
  /** Shards claimed, with their epoch and the local deadline of the last renewal. */
  private readonly held = new Map<number, { epoch: string; until: number }>();
  /** Shards whose state the engine has loaded: only these are served. */
  private readonly ready = new Set<number>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private running: Promise<void> | undefined;
  private listener: LeaseListener | undefined;
  private readonly now: () => number;
  private readonly startedAt = new Date();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly opts: LeaseOptions,
  ) {
    this.now = opts.now ?? (() => performance.now());
  }

  /** Started and not stopped: only then does it decide what this instance serves. */
  get active(): boolean {
    return this.listener !== undefined;
  }

  get shardCount(): number {
    return this.count;
  }

  shardOf(userId: number): number {
    return ((userId % this.count) + this.count) % this.count;
  }

  /** Claims what it may and starts renewing; resolves after the first round (the engine is loaded for what it got). */
  async start(listener: LeaseListener): Promise<void> {
    this.listener = listener;
    const row = await this.db
      .selectFrom("engine_shards")
      .select((eb) => eb.fn.countAll<string>().as("n"))
      .executeTakeFirstOrThrow();
    this.count = Number(row.n);
    await this.round();
    this.timer = setInterval(() => void this.tick(), this.opts.renewMs);
  }

  /** Serves this user's accounts now: claimed, loaded, and inside the lease by the local clock. */
  ownsUser(userId: number): boolean {
    if (this.count === 0) return false;
    const s = this.shardOf(userId);
    return this.ready.has(s) && (this.held.get(s)?.until ?? 0) > this.now();
  }

  /** Locally still inside every lease these users need: committed work may be sent out. */
  mayRelease(userIds: Iterable<number>): boolean {
    const t = this.now();
    for (const u of userIds) {
      const h = this.held.get(this.shardOf(u));
      if (!h || h.until <= t) return false;
    }
    return true;
  }

  /**
   * The same check as `fence`, as a statement to put first in a batch sent as one query (an
   * implicit transaction): it locks the shard rows it finds and fails the whole query unless
   * all of them are still ours at our epoch. (The failure is a cast of the reason to int:
   * evaluated only when the count is short; `fenceFailure` turns it back into a FencedError.)
   */
  fenceStatement(userIds: Iterable<number>): string | undefined {
    const users = [...userIds];
    if (users.some((u) => !Number.isInteger(u) || u < 0))
      throw new FencedError("the account is no longer run by this instance: nothing of this step was written");
    const shards = [...new Set(users.map((u) => this.shardOf(u)))].sort((a, b) => a - b);
    if (!shards.length) return undefined;
    const held = shards.map((s) => [s, this.held.get(s)?.epoch] as const);
    const gone = held.filter(([, e]) => e === undefined).map(([s]) => s);
    if (gone.length)
      throw new FencedError(
        `shard ${gone.join(", ")} is no longer this instance's (another instance took it over): nothing of this step was written`,
      );
    const pairs = held.map(([s, e]) => `(${s}, ${literal(e)})`).join(", ");
    return `select case when count(*) = ${shards.length} then 0 else (${literal(FENCE_MARK)} || (${shards.length} - count(*))::text)::int end
      from (select shard from engine_shards where owner = ${literal(this.id)} and (shard, epoch::text) in (${pairs}) order by shard for share) as fence`;
  }

  /** A batch's error as the fence's own, when that is what failed. */
  fenceFailure(err: unknown): unknown {
    if (!(err instanceof Error) || !err.message.includes(FENCE_MARK)) return err;
    return new FencedError(
      "a shard of this write is no longer this instance's (another instance took it over): nothing of this step was written",
    );
  }

  /** Inside an engine write transaction: the shards of these users are still ours, at our epoch; their rows stay locked until commit. */
  async fence(trx: Transaction<Database>, userIds: Iterable<number>): Promise<void> {
    const users = [...userIds];
    // An account this instance no longer has (no user known for it) has no lease to write under.
    if (users.some((u) => !Number.isInteger(u) || u < 0))
      throw new FencedError("the account is no longer run by this instance: nothing of this step was written");
    const shards = [...new Set(users.map((u) => this.shardOf(u)))];
    if (!shards.length) return;
    const rows = await sql<{ shard: number; epoch: string }>`select shard, epoch::text as epoch from engine_shards
      where shard in (${sql.join(shards)}) and owner = ${this.id} order by shard for share`.execute(trx);
    const mine = new Map(rows.rows.map((r) => [Number(r.shard), String(r.epoch)]));
    const gone = shards.filter((s) => mine.get(s) === undefined || mine.get(s) !== this.held.get(s)?.epoch);
    if (gone.length)
      throw new FencedError(
        `shard ${gone.join(", ")} is no longer this instance's (another instance took it over): nothing of this step was written`,
      );
  }

  /** The instances alive on this database and how many shards each holds. */
  async instances(): Promise<InstanceInfo[]> {
    const rows = await sql<{
      id: string;
      host: string;
      pid: number;
      started_at: Date;
      seen_at: Date;
      url: string | null;
      shards: string;
    }>`
      select i.id, i.host, i.pid, i.started_at, i.seen_at, i.url,
        (select count(*) from engine_shards s where s.owner = i.id and s.expires_at > now())::text as shards
      from engine_instances i where i.seen_at > now() - ${sql.lit(`${Math.ceil(this.opts.ttlMs / 1000)} seconds`)}::interval order by i.started_at`.execute(
      this.db,
    );
    return rows.rows.map((r) => ({
      id: r.id,
      host: r.host,
      pid: r.pid,
      startedAt: new Date(r.started_at),
      seenAt: new Date(r.seen_at),
      url: r.url,
      shards: Number(r.shards),
    }));
  }

  /** Who holds a user's shard now, for a clear answer when this instance does not. */
  async ownerOfUser(userId: number): Promise<InstanceInfo | undefined> {
    const shard = this.shardOf(userId);
    const row = await this.db
      .selectFrom("engine_shards")
      .select("owner")
      .where("shard", "=", shard)
      .where("expires_at", ">", sql<Date>`now()`)
      .executeTakeFirst();
    return row?.owner ? (await this.instances()).find((i) => i.id === row.owner) : undefined;
  }

  get ownedShards(): number {
    return this.ready.size;
  }

  private async tick(): Promise<void> {
    if (this.running) return;
    this.running = this.round()
      .catch((err) => this.opts.onError?.(err))
      .finally(() => (this.running = undefined));
    await this.running;
  }

  /** Note ourselves, renew, notice losses, then claim or give back towards the fair share. */
  private async round(): Promise<void> {
    const t0 = this.now();
    const ttl = pgInterval(this.opts.ttlMs);
    await sql`insert into engine_instances (id, host, pid, started_at, seen_at, url)
      values (${this.id}, ${hostname()}, ${process.pid}, ${this.startedAt}, now(), ${this.opts.url ?? null})
      on conflict (id) do update set seen_at = now(), url = excluded.url`.execute(this.db);
    // Rows locked in shard order, as the fence locks them: the two never deadlock.
    const renewed = await sql<{ shard: number; epoch: string }>`update engine_shards set expires_at = now() + ${ttl}
      where shard in (select shard from engine_shards where owner = ${this.id} order by shard for update) returning shard, epoch::text as epoch`.execute(
      this.db,
    );
    const got = new Map(renewed.rows.map((r) => [Number(r.shard), String(r.epoch)]));
    // Past the local deadline, a third of the lease is kept in hand for clock drift and slow answers.
    const until = t0 + (this.opts.ttlMs * 2) / 3;
    const lost: number[] = [];
    for (const [shard, h] of this.held) {
      if (got.get(shard) === h.epoch) h.until = until;
      else lost.push(shard);
    }
    if (lost.length)
      await this.forget(
        lost,
        "the lease was taken over by another instance (this one paused or lost the database past its lease)",
        false,
      );
    if (this.held.size) this.listener?.renewed?.();

    const live = await sql<{
      n: string;
    }>`select count(*)::text as n from engine_instances where seen_at > now() - ${ttl}`.execute(this.db);
    const target = this.opts.balance ? Math.ceil(this.count / Math.max(1, Number(live.rows[0]?.n ?? 1))) : this.count;
    if (this.held.size < target) {
      const claimed = await sql<{
        shard: number;
        epoch: string;
      }>`update engine_shards set owner = ${this.id}, epoch = epoch + 1, expires_at = now() + ${ttl}
        where shard in (select shard from engine_shards where owner is null or expires_at < now() order by shard limit ${target - this.held.size} for update skip locked)
        returning shard, epoch::text as epoch`.execute(this.db);
      const shards = claimed.rows.map((r) => Number(r.shard)).sort((a, b) => a - b);
      if (shards.length) {
        for (const r of claimed.rows) this.held.set(Number(r.shard), { epoch: String(r.epoch), until });
        const set = new Set(shards);
        await this.listener?.gained((u) => set.has(this.shardOf(u)), shards);
        for (const s of shards) if (this.held.has(s)) this.ready.add(s);
      }
    } else if (this.opts.balance && this.held.size > target) {
      const movable = [...this.held.keys()].filter((s) => !this.listener?.busy?.((u) => this.shardOf(u) === s));
      const extra = movable.sort((a, b) => b - a).slice(0, this.held.size - target);
      await this.forget(extra, `rebalanced: ${Number(live.rows[0]?.n)} instances share ${this.count} shards`, true);
      await this.giveBack(extra);
    }
  }

  /**
   * Stops serving the shards and has the engine drop their state. Given back on purpose, what
   * was already stepped is written first (the lease still fences it); lost, nothing more can be.
   */
  private async forget(shards: number[], reason: string, graceful: boolean): Promise<void> {
    for (const s of shards) {
      this.ready.delete(s);
      if (!graceful) this.held.delete(s);
    }
    const set = new Set(shards);
    await this.listener?.lost((u) => set.has(this.shardOf(u)), shards, reason, graceful);
    for (const s of shards) this.held.delete(s);
  }

  private async giveBack(shards: number[]): Promise<void> {
    if (!shards.length) return;
    await sql`update engine_shards set owner = null, expires_at = null where owner = ${this.id} and shard in (${sql.join(shards)})`.execute(
      this.db,
    );
  }

  /** Gives every shard back at once (a clean stop: the others take over without waiting for expiry). */
  async stop(): Promise<void> {
    this.listener = undefined;
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
    const mine = [...this.held.keys()];
    this.held.clear();
    this.ready.clear();
    await this.giveBack(mine).catch((err) => this.opts.onError?.(err));
    await sql`delete from engine_instances where id = ${this.id}`.execute(this.db).catch(() => {});
  }
}
