import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer, type RunningServer } from "../app/server";
import { ApiTokensService } from "../auth/api-tokens-service";
import { loadConfig } from "../config/config";
import { memoryLogger } from "../log/logger";
import { CLOSE_CREDENTIAL_ENDED } from "./price-ws";
import { expectQuietFor } from "../shared/testing";

/** Sockets are bound to the credential that opened them, and the upgrade is same-origin only. */
let server: RunningServer;
let userId: number;
let wsUrl: string;
const cli = { kind: "cli" as const, label: "test", userId: null };

beforeAll(async () => {
  server = await startServer(
    loadConfig({
      PORT: "0",
      DATA_DIR: mkdtempSync(join(tmpdir(), "ws-scope-")),
      SECRET_KEY: "55".repeat(32),
      FEED: "off",
      TRUST_PROXY: "10.9.9.9",
    }),
    memoryLogger("warn"),
  );
  userId = (await server.ctx.users.create("scope", "a long enough password", cli)).id;
  wsUrl = server.url.replace("http", "ws") + "/ws";
}, 60_000);
afterAll(() => server.stop());

interface Sock {
  ws: WebSocket;
  messages: any[];
  closed: Promise<{ code: number; reason: string }>;
  opened: Promise<boolean>;
}
function open(headers: Record<string, string>): Sock {
  const messages: any[] = [];
  const ws = new WebSocket(wsUrl, { headers } as unknown as string[]);
  ws.onmessage = (e) => messages.push(JSON.parse(String(e.data)));
  const closed = new Promise<{ code: number; reason: string }>(
    (r) => (ws.onclose = (e) => r({ code: e.code, reason: e.reason })),
  );
  const opened = new Promise<boolean>((r) => {
    ws.onopen = () => r(true);
    ws.onerror = () => r(false);
  });
  return { ws, messages, closed, opened };
}
const within = <T>(p: Promise<T>, ms: number) => Promise.race([p, Bun.sleep(ms).then(() => "timeout" as const)]);
const origin = () => server.url;

async function session() {
  const s = await server.ctx.sessions.create(userId, "test", "127.0.0.1");
  return { cookie: `sid=${s.token}`, csrf: s.csrfToken };
}

describe("WebSocket scope", () => {
  test("revoking a token closes its sockets within a second; another credential of the user keeps its own", async () => {
    const { token } = await server.ctx.tokens.create(userId, "sock", cli);
    const s = await session();
    const byToken = open({ authorization: `Bearer ${token}` });
    const byCookie = open({ cookie: s.cookie, origin: origin() });
    expect(await byToken.opened).toBe(true);
    expect(await byCookie.opened).toBe(true);
    const t0 = performance.now();
    await server.ctx.tokens.revoke(userId, "sock", cli);
    expect(await within(byToken.closed, 1000)).toEqual({ code: CLOSE_CREDENTIAL_ENDED, reason: "token revoked" });
    expect(performance.now() - t0).toBeLessThan(1000);
    server.ctx.priceHub.publishUser(userId, JSON.stringify({ t: "position", secret: 1 }));
    await expectQuietFor(100, () => {
      expect(byToken.messages.some((m) => m.t === "position")).toBe(false);
      expect(byCookie.messages.some((m) => m.t === "position")).toBe(true);
    });
    byCookie.ws.close();
  });

  test("logging out closes the session's sockets", async () => {
    const s = await session();
    const c = open({ cookie: s.cookie, origin: origin() });
    expect(await c.opened).toBe(true);
    const out = await fetch(`${server.url}/logout`, {
      method: "POST",
      redirect: "manual",
      headers: { cookie: s.cookie, "x-csrf-token": s.csrf, origin: origin() },
    });
    expect(out.status).toBe(303);
    expect(await within(c.closed, 1000)).toEqual({ code: CLOSE_CREDENTIAL_ENDED, reason: "signed out" });
  });

  test("a revocation in another process (the CLI) is noticed by the once-a-second check", async () => {
    const { token } = await server.ctx.tokens.create(userId, "elsewhere", cli);
    const c = open({ authorization: `Bearer ${token}` });
    expect(await c.opened).toBe(true);
    // Another process: its own service, none of this server's listeners.
    await new ApiTokensService(server.ctx.db).revoke(userId, "elsewhere", cli);
    expect(await within(c.closed, 2100)).toEqual({ code: CLOSE_CREDENTIAL_ENDED, reason: "token revoked" });
  });

  test("the check costs at most two queries a second however many sockets are open", async () => {
    const socks: Sock[] = [];
    for (let i = 0; i < 10; i++) {
      const { token } = await server.ctx.tokens.create(userId, `many-${i}`, cli);
      socks.push(open({ authorization: `Bearer ${token}` }));
      socks.push(open({ ...(await session()), origin: origin() } as Record<string, string>));
    }
    await Promise.all(socks.map((s) => s.opened));
    const q0 = server.ctx.sockets.queries;
    await Bun.sleep(3100);
    const per = (server.ctx.sockets.queries - q0) / 3;
    expect(per).toBeGreaterThan(0);
    expect(per).toBeLessThanOrEqual(2.7);
    for (const s of socks) s.ws.close();
  });

  test("an upgrade from another site with a valid cookie is refused; same-origin and forwarded-host spoofing", async () => {
    const s = await session();
    expect(await open({ cookie: s.cookie, origin: "http://evil.example" }).opened).toBe(false);
    // 127.0.0.1 is not the configured proxy (10.9.9.9): its X-Forwarded-Host is not believed.
    expect(
      await open({ cookie: s.cookie, origin: "http://evil.example", "x-forwarded-host": "evil.example" }).opened,
    ).toBe(false);
    expect(await open({ cookie: s.cookie, origin: "null" }).opened).toBe(false);
    const ok = open({ cookie: s.cookie, origin: origin() });
    expect(await ok.opened).toBe(true);
    ok.ws.close();
  });

  test("a cookie that is not percent-encoded is no credential, on the upgrade too (401, not 500)", async () => {
    const res = await fetch(`${server.url}/ws`, {
      headers: {
        cookie: "sid=%ZZ",
        upgrade: "websocket",
        connection: "Upgrade",
        "sec-websocket-version": "13",
        "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
      },
    });
    expect(res.status).toBe(401);
    expect(await open({ cookie: "sid=%ZZ" }).opened).toBe(false);
  });

  test("HTTP/1.0 without a Host header is served", async () => {
    const port = Number(new URL(server.url).port);
    const raw = (path: string) =>
      new Promise<string>((resolve) => {
        const c = net.connect(port, "127.0.0.1", () => c.write(`GET ${path} HTTP/1.0\r\n\r\n`));
        let d = "";
        c.on("data", (b) => (d += b));
        c.on("close", () => resolve(d));
      });
    expect(await raw("/healthz")).toMatch(/^HTTP\/1\.[01] 200/);
    expect(await raw("/login")).toMatch(/^HTTP\/1\.[01] 200/);
    expect(await raw("/api/get_active_orders")).toMatch(/^HTTP\/1\.[01] 401/);
  });
});
