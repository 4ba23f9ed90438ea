import type { AppContext } from "./app-context";
import { FORWARDED_HEADER, refusal } from "../cluster/request-forwarding";
import { peerAddress } from "./http";

/** Routes any instance serves itself: the socket (fed by the feed and the owner's changes) and signing out. */
const LOCAL = new Set(["/ws", "/logout"]);
/**
 * In a cluster, also what only reads the database or this instance's market data, or stores a
 * file in DATA_DIR: it is the same on every instance, and bar exports or uploads can be larger
 * than a message between instances may be.
 */
const CLUSTER_LOCAL = [
  "/api/v1/market/",
  "/api/v1/journal",
  "/journal",
  "/api/v1/replay-files",
  "/replay/upload",
  "/replay/quote",
  "/replay/download",
];

const answer = (status: number, message: string, api: boolean, extra: Record<string, string> = {}) =>
  refusal(status, message, api, { "cache-control": "no-store", ...extra });

/**
 * On a shared Postgres an instance runs the engine for the users whose shard leases it holds
 * (persistence/shard-leases.ts). A request of another user reads and writes state this instance
 * does not have: in a cluster (NATS_URL) it is passed to the owner and the owner's answer comes
 * back; without one it is refused with who does have it. Either way before any route runs.
 */
export async function elsewhere(
  ctx: AppContext,
  request: Request,
  path: string,
  userId: number,
  api: boolean,
): Promise<Response | undefined> {
  const leases = ctx.leases;
  if (!leases?.active || leases.ownsUser(userId) || LOCAL.has(path)) return undefined;
  if (ctx.cluster) {
    if (CLUSTER_LOCAL.some((p) => path.startsWith(p))) return undefined;
    // Passed to this instance as the owner, but the shard left it meanwhile: the sender tries the new owner.
    if (request.headers.get(FORWARDED_HEADER))
      return answer(503, "your accounts moved to another instance: try again", api, { [FORWARDED_HEADER]: "moved" });
    return ctx.cluster.forwarding.forward(request, leases.shardOf(userId), peerAddress(request), api);
  }
  const owner = await leases.ownerOfUser(userId).catch(() => undefined);
  const message = owner
    ? `your accounts are run by another instance of this server (host ${owner.host}, pid ${owner.pid}); this one stands by for them — use that instance, or set NATS_URL on every instance so each serves every user`
    : "your accounts are moving to another instance of this server (the one running them stopped): try again in a few seconds";
  return answer(503, message, api);
}
