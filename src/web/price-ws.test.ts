import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer, type RunningServer } from "../app/server";
import { loadConfig } from "../config/config";
import { memoryLogger } from "../log/logger";

let server: RunningServer;
let token: string;
let wsUrl: string;

beforeAll(async () => {
  server = await startServer(loadConfig({ PORT: "0", DATA_DIR: mkdtempSync(join(tmpdir(), "ws-")), SECRET_KEY: "44".repeat(32), FEED: "off" }), memoryLogger("warn"));
  const user = await server.ctx.users.create("wsuser", "a long enough password", { kind: "cli", label: "test", userId: null });
  token = (await server.ctx.tokens.create(user.id, "ws", { kind: "cli", label: "test", userId: null })).token;
  wsUrl = server.url.replace("http", "ws") + "/ws";
}, 60_000);
afterAll(() => server.stop());

function open(headers: Record<string, string> = { authorization: `Bearer ${token}` }) {
  const messages: any[] = [];
  const ws = new WebSocket(wsUrl, { headers } as unknown as string[]);
  ws.onmessage = (e) => messages.push(JSON.parse(String(e.data)));
  const opened = new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = () => reject(new Error("socket error"));
  });
  return { ws, messages, opened };
}

async function until(cond: () => boolean, ms = 2000) {
  for (let t = 0; t < ms && !cond(); t += 10) await Bun.sleep(10);
}

const trade = (p: number) => JSON.stringify({ t: "trade", s: "MES", p });

describe("price WebSocket", () => {
  test("refuses a connection without credentials", async () => {
    const { opened } = open({});
    expect(opened).rejects.toThrow();
  });

  test("subscribe by any accepted symbol form, then receive prices; bad input gets an error message", async () => {
    const c = open();
    await c.opened;
    c.ws.send(JSON.stringify({ op: "subscribe", symbols: ["MES1!", "NOPE"] }));
    await until(() => c.messages.some((m) => m.t === "subscribed"));
    expect(c.messages.find((m) => m.t === "subscribed").symbols).toEqual(["MES"]);
    expect(c.messages.find((m) => m.t === "error").message).toContain("NOPE");
    server.ctx.priceHub.publish("MES", "trade", trade(5012.25));
    server.ctx.priceHub.publish("MNQ", "trade", JSON.stringify({ t: "trade", s: "MNQ", p: 1 }));
    await until(() => c.messages.some((m) => m.t === "trade"));
    expect(c.messages.filter((m) => m.t === "trade")).toEqual([{ t: "trade", s: "MES", p: 5012.25 }]);
    c.ws.send("not json at all");
    c.ws.send(JSON.stringify({ op: "rate", maxPerSecond: 0 }));
    await until(() => c.messages.filter((m) => m.t === "error").length >= 3);
    expect(c.messages.filter((m) => m.t === "error").length).toBe(3);
    c.ws.close();
  });

  test("the original client's price_update is answered with price_changed from the server's feed", async () => {
    const c = open();
    await c.opened;
    c.ws.send(JSON.stringify({ event: "price_update", data: { symbol: "MES1!", price: 1 } }));
    await until(() => c.messages.some((m) => m.t === "info"));
    server.ctx.priceHub.publish("MES", "trade", trade(5013), JSON.stringify({ event: "price_changed", data: { symbol: "MES", price: 5013 } }));
    await until(() => c.messages.some((m) => m.event === "price_changed"));
    expect(c.messages.find((m) => m.event === "price_changed")).toEqual({ event: "price_changed", data: { symbol: "MES", price: 5013 } });
    c.ws.close();
  });

  test("a client that never reads: the server keeps only the latest and its buffer stays bounded", async () => {
    // A raw socket that completes the upgrade and then stops reading.
    const sock = net.connect(Number(new URL(server.url).port), "127.0.0.1");
    await new Promise<void>((r) => sock.once("connect", () => r()));
    sock.write(
      `GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n` +
        `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nAuthorization: Bearer ${token}\r\n\r\n`,
    );
    await new Promise<void>((r) => sock.once("data", () => r()));
    const sub = Buffer.from(JSON.stringify({ op: "subscribe", symbols: ["MES"] }));
    // Client frames are masked; a zero mask keeps the payload as is.
    sock.write(Buffer.concat([Buffer.from([0x81, 0x80 | sub.length, 0, 0, 0, 0]), sub]));
    await Bun.sleep(50);
    sock.pause();
    const big = "x".repeat(2000);
    for (let i = 0; i < 20_000; i++) server.ctx.priceHub.publish("MES", "trade", JSON.stringify({ t: "trade", s: "MES", p: i, pad: big }));
    for (let i = 0; i < 10; i++) {
      server.ctx.priceHub.tick();
      await Bun.sleep(30);
    }
    // 20,000 messages of 2 KB (40 MB) were published; what waits for this client is bounded
    // by the hub's high-water mark plus the socket buffers, not by what was published.
    let buffered = 0;
    for (const [s] of (server.ctx.priceHub as unknown as { clients: Map<{ bufferedAmount(): number }, unknown> }).clients) buffered = Math.max(buffered, s.bufferedAmount());
    // (Without the hub's switch to latest-only, Bun's own 4 MB backpressure limit is reached.)
    expect(buffered).toBeLessThan(1024 * 1024);
    sock.destroy();
  });
});
