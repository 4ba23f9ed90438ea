import type { AppContext } from "./app-context";

export interface InstanceRole {
  pid: number;
  /** sole: alone on its database; owner: runs some shards of accounts; standby: runs none now. */
  role: "sole" | "owner" | "standby";
  shards?: number;
  of?: number;
  /** In a cluster: whether this instance holds the feed's session or follows it. */
  feed?: "leader" | "follower";
  nats?: string;
}

/** What this instance does, for /healthz and the status bar. */
export function instanceRole(ctx: AppContext): InstanceRole {
  const l = ctx.leases;
  if (!l?.active) return { pid: process.pid, role: "sole" };
  return {
    pid: process.pid,
    role: l.ownedShards > 0 ? "owner" : "standby",
    shards: l.ownedShards,
    of: l.shardCount,
    ...(ctx.marketData.role ? { feed: ctx.marketData.role } : {}),
    ...(ctx.cluster ? { nats: ctx.cluster.link.state } : {}),
  };
}
