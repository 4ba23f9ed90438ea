import { NatsLink } from "../cluster/nats-link";
import { RequestForwarding } from "../cluster/request-forwarding";
import { UserFanout } from "../cluster/user-fanout";
import type { AppContext } from "./context";

/**
 * Cluster mode (NATS_URL): this instance joins the others through NATS — requests for accounts
 * another instance runs are passed to it, and every user's private messages reach every
 * instance's sockets. The shard leases (on the shared Postgres) decide who runs what.
 */
/**
 * This deployment's name on NATS, the same for every instance on its database: chosen by the
 * first instance and kept there, so two deployments sharing a NATS server never cross-talk.
 */
async function deploymentId(ctx: AppContext): Promise<string> {
  await ctx.db
    .insertInto("cluster_leases")
    .values({ name: "deployment", owner: crypto.randomUUID().replaceAll("-", "").slice(0, 16) })
    .onConflict((oc) => oc.column("name").doNothing())
    .execute();
  const row = await ctx.db
    .selectFrom("cluster_leases")
    .select("owner")
    .where("name", "=", "deployment")
    .executeTakeFirstOrThrow();
  return row.owner!;
}

export async function openCluster(ctx: AppContext): Promise<() => Promise<void>> {
  const { config, logger, leases } = ctx;
  if (!config.NATS_URL) return async () => {};
  if (!leases)
    throw new Error("NATS_URL (cluster mode) needs a shared Postgres database: set DATABASE_URL on every instance");
  const log = logger.child({ component: "cluster" });
  const link = await NatsLink.open(config.NATS_URL, leases.id, await deploymentId(ctx), log);
  const forwarding = new RequestForwarding(link, leases.id, log);
  const fanout = new UserFanout(link, (userId, message) => ctx.priceHub.publishUser(userId, message));
  ctx.userMessages.via((userId, message) => fanout.publish(userId, message));
  ctx.cluster = { link, forwarding };
  log.info("cluster.joined", { instance: leases.id, nats: config.NATS_URL.replace(/\/\/[^@/]*@/, "//***@") });
  return async () => {
    forwarding.stop();
    await link.close();
  };
}
