import type { ServerWebSocket } from "bun";
import { Elysia } from "elysia";
import { z } from "zod";
import type { AppContext } from "./app-context";
import { resolveSymbol } from "../market-data/instruments/symbols";
import type { HubSocket } from "./realtime/hub";
import { answer } from "./realtime/messages";
import { authPlugin } from "./auth-plugin";

const symbols = z.array(z.string().trim().min(1).max(32)).min(1).max(100);
/** Everything a browser may send on the price socket. */
export const clientMessageSchema = z.union([
  z.object({ op: z.literal("subscribe"), symbols, legacy: z.boolean().optional() }),
  z.object({ op: z.literal("unsubscribe"), symbols }),
  z.object({ op: z.literal("rate"), maxPerSecond: z.number().int().min(1).max(1000).nullable() }),
  z.object({ op: z.literal("ping") }),
  // The original client's event: answered with the server's own price as `price_changed`.
  z.object({
    event: z.literal("price_update"),
    data: z.object({ symbol: z.string().trim().min(1).max(32) }).passthrough(),
  }),
]);

const MAX_SYMBOLS_PER_SOCKET = 100;
const adapters = new WeakMap<object, HubSocket>();
/** Per socket: forget it in the credential registry when it closes. */
const unbind = new WeakMap<object, () => void>();
/** Close code for "your credential ended" (4000-4999: the application's own). */
export const CLOSE_CREDENTIAL_ENDED = 4401;

/** Elysia types its raw socket narrowly; at run time it is Bun's ServerWebSocket. */
function hubSocket(elysiaRaw: object): HubSocket {
  const raw = elysiaRaw as ServerWebSocket<unknown>;
  let s = adapters.get(raw);
  if (!s) {
    s = {
      send: (d) => raw.send(d),
      subscribe: (t) => raw.subscribe(t),
      unsubscribe: (t) => raw.unsubscribe(t),
      bufferedAmount: () => raw.getBufferedAmount(),
    };
    adapters.set(raw, s);
  }
  return s;
}

function roots(input: readonly string[]): { ok: string[]; bad: string[] } {
  const ok: string[] = [];
  const bad: string[] = [];
  for (const s of input) {
    const r = resolveSymbol(s);
    if (r.ok) ok.push(r.value.instrument.root);
    else bad.push(s);
  }
  return { ok: [...new Set(ok)], bad };
}

/**
 * `/ws`: live prices for the symbols a browser subscribes to. Authenticated like every route
 * (the upgrade request passes the same guard). Messages are small JSON objects, see README.
 */
export function priceSocket(ctx: AppContext) {
  const hub = ctx.priceHub;
  return new Elysia({ name: "price-ws" }).use(authPlugin(ctx)).ws("/ws", {
    detail: { hide: true },
    open(ws) {
      const raw = ws.raw as unknown as ServerWebSocket<unknown>;
      // Bound to the credential it was opened with: a sign-out or revocation closes it (socket-credentials.ts).
      unbind.set(
        raw,
        ctx.sockets.add(ws.data.auth.credential, (reason) => raw.close(CLOSE_CREDENTIAL_ENDED, reason)),
      );
      const s = hubSocket(ws.raw);
      hub.add(s);
      ws.raw.subscribe(`user:${ws.data.auth.userId}`);
      ws.send(answer({ t: "hello", user: ws.data.auth.username }));
    },
    message(ws, raw) {
      const s = hubSocket(ws.raw);
      const parsed = clientMessageSchema.safeParse(typeof raw === "string" ? safeJson(raw) : raw);
      if (!parsed.success) {
        ws.send(
          answer({
            t: "error",
            message: `unrecognised message: ${parsed.error.issues[0]?.message ?? "invalid"}`,
          }),
        );
        return;
      }
      const m = parsed.data;
      if ("event" in m) {
        const { ok } = roots([m.data.symbol]);
        if (ok[0]) {
          hub.subscribe(s, ok, true);
          ws.send(
            answer({
              t: "info",
              message: "prices come from the server's own feed; price_update only subscribes",
            }),
          );
        } else ws.send(answer({ t: "error", message: `unknown symbol "${m.data.symbol}"` }));
        return;
      }
      switch (m.op) {
        case "subscribe": {
          const { ok, bad } = roots(m.symbols);
          if (bad.length) ws.send(answer({ t: "error", message: `unknown symbols: ${bad.join(", ")}` }));
          hub.subscribe(s, ok.slice(0, MAX_SYMBOLS_PER_SOCKET), m.legacy ?? false);
          ws.send(answer({ t: "subscribed", symbols: ok }));
          break;
        }
        case "unsubscribe":
          hub.unsubscribe(s, roots(m.symbols).ok);
          break;
        case "rate":
          hub.setRate(s, m.maxPerSecond);
          break;
        case "ping":
          ws.send(answer({ t: "pong", ts: Date.now() }));
          break;
      }
    },
    drain(ws) {
      hub.drained(hubSocket(ws.raw));
    },
    close(ws) {
      unbind.get(ws.raw)?.();
      unbind.delete(ws.raw);
      hub.remove(hubSocket(ws.raw));
    },
  });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
