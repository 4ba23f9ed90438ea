import type { Socket } from "bun";
import {
  authLine,
  GatewayProtocolError,
  LineReader,
  parseControlLine,
  START_SESSION_LINE,
  subscriptionLines,
  type Subscription,
} from "./gateway-protocol";
import { SocketWriter } from "./socket-writer";

/**
 * One TCP session with a Databento Live gateway: connect, greeting, CRAM auth, subscriptions,
 * start_session, then raw DBN bytes to `onBinary`. Decoding, reconnection and gap filling sit
 * above this (the live client); this layer only speaks the protocol and watches the line.
 */

export class GatewayAuthError extends Error {
  override name = "GatewayAuthError";
  /** An authentication refusal is final: retrying with the same key cannot succeed. */
  readonly final = true;
}

export type CloseReason =
  | { kind: "closed-by-client" }
  | { kind: "eof" }
  | { kind: "timeout"; silentMs: number }
  | { kind: "error"; message: string };

export interface GatewaySessionOptions {
  host: string;
  port: number;
  apiKey: string;
  dataset: string;
  subscriptions: readonly Subscription[];
  heartbeatIntervalS?: number;
  tsOut?: boolean;
  client?: string;
  slowReaderBehavior?: "warn" | "skip";
  connectTimeoutMs?: number;
  authTimeoutMs?: number;
  /** Silence allowed beyond the heartbeat interval before the line is declared dead. */
  deadAfterExtraMs?: number;
  onBinary: (chunk: Uint8Array) => void;
  onClose: (reason: CloseReason) => void;
}

export interface GatewaySession {
  sessionId: string;
  lsgVersion: string;
  /** More subscriptions during the session (the gateway does not replay for them). */
  subscribe(s: Subscription): void;
  close(): void;
}

type Phase = "greeting" | "challenge" | "auth" | "streaming" | "closed";

export function openGatewaySession(o: GatewaySessionOptions): Promise<GatewaySession> {
  return new Promise<GatewaySession>((resolveOpen, rejectOpen) => {
    const lines = new LineReader();
    let phase: Phase = "greeting";
    let lsgVersion = "";
    let socket: Socket<undefined> | undefined;
    let lastData = Date.now();
    let watchdog: ReturnType<typeof setInterval> | undefined;
    let authTimer: ReturnType<typeof setTimeout> | undefined;
    let settled = false;
    const heartbeatMs = (o.heartbeatIntervalS ?? 30) * 1000;
    const deadMs = heartbeatMs + (o.deadAfterExtraMs ?? 10_000);

    const finish = (reason: CloseReason, openError?: Error) => {
      if (phase === "closed") return;
      phase = "closed";
      clearInterval(watchdog);
      clearTimeout(authTimer);
      socket?.end();
      if (!settled) {
        settled = true;
        rejectOpen(
          openError ??
            new GatewayProtocolError(
              reason.kind === "error"
                ? reason.message
                : `gateway closed the connection during the handshake (${reason.kind})`,
            ),
        );
        return;
      }
      o.onClose(reason);
    };

    let out: SocketWriter | undefined;
    const write = (text: string) => out?.send(text);

    const handleLine = (line: string) => {
      if (phase === "greeting") {
        lsgVersion = parseControlLine(line).get("lsg_version") ?? line;
        phase = "challenge";
        return;
      }
      if (phase === "challenge") {
        const challenge = parseControlLine(line).get("cram");
        if (!challenge) throw new GatewayProtocolError(`expected a CRAM challenge, got "${line.slice(0, 100)}"`);
        write(
          authLine({
            apiKey: o.apiKey,
            challenge,
            dataset: o.dataset,
            tsOut: o.tsOut,
            client: o.client,
            heartbeatIntervalS: o.heartbeatIntervalS,
            slowReaderBehavior: o.slowReaderBehavior,
          }),
        );
        phase = "auth";
        return;
      }
      if (phase === "auth") {
        const reply = parseControlLine(line);
        if (reply.get("success") !== "1") {
          const why =
            reply.get("error") ??
            (reply.has("success") ? "authentication failed" : `unexpected reply "${line.slice(0, 100)}"`);
          finish(
            { kind: "error", message: why },
            new GatewayAuthError(`Databento gateway refused authentication: ${why}`),
          );
          return;
        }
        clearTimeout(authTimer);
        for (const s of o.subscriptions) for (const l of subscriptionLines(s)) write(l);
        write(START_SESSION_LINE);
        phase = "streaming";
        settled = true;
        const session: GatewaySession = {
          sessionId: reply.get("session_id") ?? "",
          lsgVersion,
          subscribe: (s) => {
            for (const l of subscriptionLines(s)) write(l);
          },
          close: () => finish({ kind: "closed-by-client" }),
        };
        watchdog = setInterval(
          () => {
            const silent = Date.now() - lastData;
            if (silent > deadMs) finish({ kind: "timeout", silentMs: silent });
          },
          Math.min(1000, deadMs / 4),
        );
        resolveOpen(session);
        const rest = lines.rest();
        if (rest.length > 0) o.onBinary(rest);
      }
    };

    const connectTimer = setTimeout(
      () => finish({ kind: "error", message: `connect to ${o.host}:${o.port} timed out` }),
      o.connectTimeoutMs ?? 10_000,
    );
    Bun.connect({
      hostname: o.host,
      port: o.port,
      socket: {
        open(s) {
          clearTimeout(connectTimer);
          socket = s;
          out = new SocketWriter((d) => s.write(d));
          authTimer = setTimeout(
            () => finish({ kind: "error", message: "authentication timed out" }),
            o.authTimeoutMs ?? 30_000,
          );
        },
        data(_s, data) {
          lastData = Date.now();
          if (phase === "streaming") {
            o.onBinary(data);
            return;
          }
          try {
            lines.push(data);
            for (
              let line = lines.nextLine();
              line !== undefined && (phase as Phase) !== "streaming" && (phase as Phase) !== "closed";
              line = lines.nextLine()
            )
              handleLine(line);
          } catch (err) {
            finish({ kind: "error", message: (err as Error).message });
          }
        },
        drain() {
          out?.drain();
        },
        close() {
          finish({ kind: "eof" });
        },
        error(_s, err) {
          finish({ kind: "error", message: err.message });
        },
        connectError(_s, err) {
          clearTimeout(connectTimer);
          finish({ kind: "error", message: `cannot connect to ${o.host}:${o.port}: ${err.message}` });
        },
      },
    }).catch((err: Error) => {
      clearTimeout(connectTimer);
      finish({ kind: "error", message: `cannot connect to ${o.host}:${o.port}: ${err.message}` });
    });
  });
}
