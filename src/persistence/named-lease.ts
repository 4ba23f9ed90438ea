import { sql, type Kysely } from "kysely";
import type { Database } from "./database";
import { pgInterval } from "./shard-leases";

export interface NamedLeaseListener {
  /** This instance holds the lease now, under this epoch (higher than any holder's before). */
  gained(epoch: number): Promise<void> | void;
  /** Another instance holds it now (this one paused past it, or lost the database): stop at once. */
  lost(reason: string): Promise<void> | void;
}

/**
 * One lease for a job one instance of a cluster does for all, such as the Databento session
 * (migrations/0011): claimed when free or expired, renewed by its holder, given back on a clean
 * stop. The epoch goes with what the holder publishes, so a paused former holder's late
 * messages are recognised and dropped by the others.
 */
export class NamedLease {
  private held: number | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private running: Promise<void> | undefined;
  private listener: NamedLeaseListener | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    readonly name: string,
    readonly owner: string,
    private readonly opts: { ttlMs: number; renewMs: number; onError?: (err: unknown) => void },
  ) {}

  get holding(): boolean {
    return this.held !== undefined;
  }

  get epoch(): number | undefined {
    return this.held;
  }

  async start(listener: NamedLeaseListener): Promise<void> {
    this.listener = listener;
    await this.round();
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.round()
        .catch((err) => this.opts.onError?.(err))
        .finally(() => (this.running = undefined));
    }, this.opts.renewMs);
  }

  private async round(): Promise<void> {
    const ttl = pgInterval(this.opts.ttlMs);
    if (this.held !== undefined) {
      const r = await sql<{ epoch: string }>`update cluster_leases set expires_at = now() + ${ttl}
        where name = ${this.name} and owner = ${this.owner} and epoch = ${this.held} returning epoch::text as epoch`.execute(
        this.db,
      );
      if (r.rows.length) return;
      this.held = undefined;
      await this.listener?.lost(
        "the lease was taken over by another instance (this one paused or lost the database past it)",
      );
    }
    const r = await sql<{
      epoch: string;
    }>`update cluster_leases set owner = ${this.owner}, epoch = epoch + 1, expires_at = now() + ${ttl}
      where name = ${this.name} and (owner is null or expires_at < now()) returning epoch::text as epoch`.execute(
      this.db,
    );
    if (!r.rows.length) return;
    this.held = Number(r.rows[0]!.epoch);
    await this.listener?.gained(this.held);
  }

  async stop(): Promise<void> {
    this.listener = undefined;
    clearInterval(this.timer);
    await this.running;
    if (this.held === undefined) return;
    this.held = undefined;
    await sql`update cluster_leases set owner = null, expires_at = null where name = ${this.name} and owner = ${this.owner}`
      .execute(this.db)
      .catch((err) => this.opts.onError?.(err));
  }
}
