import type { AppContext } from "../app/context";

/** Routes any instance serves itself: the socket (fed by the feed and the owner's changes) and signing out. */
const LOCAL = new Set(["/ws", "/logout"]);

/**
 * On a shared Postgres an instance runs the engine for the users whose shard leases it holds
 * (persistence/shard-leases.ts). A request of another user would read and write state this
 * instance does not have, so it is refused here with who does have it, before any route runs.
 */
export async function elsewhere(ctx: AppContext, request: Request, path: string, userId: number, api: boolean): Promise<Response | undefined> {
  const leases = ctx.leases;
  if (!leases?.active || leases.ownsUser(userId) || LOCAL.has(path)) return undefined;
  const owner = await leases.ownerOfUser(userId).catch(() => undefined);
  const message = owner
    ? `your accounts are run by another instance of this server (host ${owner.host}, pid ${owner.pid}); this one stands by for them — use that instance, or set NATS_URL on every instance so each serves every user`
    : "your accounts are moving to another instance of this server (the one running them stopped): try again in a few seconds";
  const headers = { "retry-after": "2", "cache-control": "no-store" };
  if (api || request.headers.get("accept")?.includes("application/json")) {
    return new Response(JSON.stringify({ success: false, message }), { status: 503, headers: { ...headers, "content-type": "application/json" } });
  }
  return new Response(message, { status: 503, headers: { ...headers, "content-type": "text/plain; charset=utf-8" } });
}
