import { connect, type Msg, type NatsConnection, type Subscription } from "@nats-io/transport-node";
import type { Logger } from "../log/logger";

export type LinkState = "connected" | "reconnecting" | "closed";

/**
 * The instances' connection to NATS: the cluster's fan-out (prices per symbol, position changes
 * per user) and its request/reply (a request for another instance's accounts). Reconnects for
 * ever; while it is down, forwarding answers 503 and this instance's own users are unaffected.
 */
export class NatsLink {
  state: LinkState = "connected";
  private constructor(
    private readonly nc: NatsConnection,
    private readonly logger: Logger,
    /** Every subject of this deployment starts with it: deployments sharing a NATS server never hear each other. */
    private readonly prefix: string,
  ) {
    void this.watch();
  }

  static async open(url: string, name: string, deployment: string, logger: Logger): Promise<NatsLink> {
    const nc = await connect({
      servers: url.split(","),
      name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      waitOnFirstConnect: false,
      timeout: 5000,
    });
    logger.info("cluster.nats_connected", { server: nc.getServer(), name, deployment });
    return new NatsLink(nc, logger, `tm.${deployment}.`);
  }

  private async watch(): Promise<void> {
    for await (const s of this.nc.status()) {
      if (s.type === "disconnect" || s.type === "reconnecting") {
        if (this.state !== "reconnecting")
          this.logger.warn("cluster.nats_disconnected", { reason: "connection to NATS lost; reconnecting" });
        this.state = "reconnecting";
      } else if (s.type === "reconnect") {
        this.state = "connected";
        this.logger.info("cluster.nats_reconnected", {});
      } else if (s.type === "close") this.state = "closed";
    }
  }

  publish(subject: string, data: Uint8Array | string): void {
    if (this.state === "closed") return;
    this.nc.publish(this.prefix + subject, data);
  }

  /** `handle` gets the subject without the deployment's prefix. */
  subscribe(subject: string, handle: (msg: Msg, subject: string) => void): Subscription {
    return this.nc.subscribe(this.prefix + subject, {
      callback: (err, msg) => {
        if (err) return this.logger.warn("cluster.subscription_error", { subject, reason: err.message });
        handle(msg, msg.subject.slice(this.prefix.length));
      },
    });
  }

  request(subject: string, data: Uint8Array, timeoutMs: number): Promise<Msg> {
    return this.nc.request(this.prefix + subject, data, { timeout: timeoutMs });
  }

  /** Largest message the server takes (1 MB by default). */
  get maxPayload(): number {
    return this.nc.info?.max_payload ?? 1024 * 1024;
  }

  async close(): Promise<void> {
    await this.nc.drain().catch(() => this.nc.close());
  }
}
