import type { Logger } from "../../log/logger";
import type { LiveEvent } from "../databento/live-client";
import type { FeedKind, FeedState } from "./feed-types";

/** What a session event changes in the feed's status: its state, and the message (undefined clears it). */
export interface StatusChange {
  state?: FeedState;
  message?: string | undefined;
}

/** A session event (other than a symbol mapping) logged, and what it changes in the status. */
export function sessionEvent(e: Exclude<LiveEvent, { type: "mapping" }>, kind: FeedKind, logger: Logger): StatusChange {
  switch (e.type) {
    case "connected":
      logger.info("feed.connected", { kind, session: e.sessionId, attempt: e.attempt, replay_from_ns: e.replayFromNs });
      return { message: undefined };
    case "disconnected":
      logger.warn("feed.disconnected", { kind, reason: e.reason, retry_in_ms: e.retryInMs });
      return { state: "reconnecting", message: e.reason };
    case "auth-failed":
      logger.error("feed.auth_failed", { kind, reason: e.message });
      return { state: "auth-failed", message: e.message };
    case "gateway-error":
      logger.warn("feed.gateway_error", { code: e.code, reason: e.message });
      return {};
    case "fatal":
      // The gateway would refuse the same session again: the feed stops and the status says why.
      logger.error("feed.fatal", { kind, code: e.code, reason: e.message });
      return { state: "stopped", message: e.message };
    case "gap":
      // Beyond the intraday replay window: the archive fills it from the Historical API (onConnected).
      logger.warn("feed.gap", {
        from_ns: e.fromNs,
        to_ns: e.toNs,
        reason: e.reason,
        action: "bars of the gap are fetched from the Historical API",
      });
      return {
        message: `prices from ${isoOfNs(e.fromNs)} to ${isoOfNs(e.toNs)} were not replayed (${e.reason}); the archive fills the bars from Databento's Historical API`,
      };
    case "system":
      // End-of-interval (code 4) arrives every minute: debug, not info.
      logger[e.code === 4 ? "debug" : "info"]("feed.system", { code: e.code, message: e.message });
      return {};
    case "stopped":
      return {};
  }
}

const isoOfNs = (ns: string): string => new Date(Number(BigInt(ns) / 1_000_000n)).toISOString();
