import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer, type RunningServer } from "../app/server";
import { loadConfig } from "../config/config";
import { memoryLogger } from "../log/logger";
import { expectQuietFor, until } from "../shared/testing";
import type { HubPublisher } from "./realtime/hub";

let server: RunningServer;
let token: string;
let wsUrl: string;

beforeAll(async () => {
  server = await startServer(
    loadConfig({ PORT: "0", DATA_DIR: mkdtempSync(join(tmpdir(), "ws-")), SECRET_KEY: "44".repeat(32), FEED: "off" }),
    memoryLogger("warn"),
  );
  const user = await server.ctx.users.create("wsuser", "a long enough password", {
    kind: "cli",
    label: "test",
    userId: null,
  });
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

const T0 = 1_795_000_000_000;

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
    server.ctx.priceHub.publishTrade("MES", 5012.25, 2, "B", T0);
    server.ctx.priceHub.publishTrade("MNQ", 1, 1, "B", T0);
    await until(() => c.messages.some((m) => m.t === "trade"));
    expect(c.messages.filter((m) => m.t === "trade")).toEqual([
      { t: "trade", s: "MES", p: 5012.25, q: 2, side: "B", ts: T0 },
    ]);
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
    // Subscribing heard the current price at once (an earlier test printed MES at 5012.25).
    await until(() => c.messages.some((m) => m.event === "price_changed"));
    expect(c.messages.filter((m) => m.event === "price_changed")).toEqual([
      { event: "price_changed", data: { symbol: "MES", price: 5012.25 } },
    ]);
    // A burst of prints: price_changed carries the price it ended at.
    server.ctx.priceHub.publishTrade("MES", 5012.5, 1, "B", T0);
    server.ctx.priceHub.publishTrade("MES", 5013, 1, "B", T0);
    await until(() => c.messages.filter((m) => m.event === "price_changed").length >= 2);
    // No third: the burst is one message.
    await expectQuietFor(20, () =>
      expect(c.messages.filter((m) => m.event === "price_changed")).toEqual([
        { event: "price_changed", data: { symbol: "MES", price: 5012.25 } },
        { event: "price_changed", data: { symbol: "MES", price: 5013 } },
      ]),
    );
    c.ws.close();
  });

  test("the prints of one burst arrive as one message, every print in order; a later subscriber gets the current state", async () => {
    const a = open();
    await a.opened;
    a.ws.send(JSON.stringify({ op: "subscribe", symbols: ["MNQ"] }));
    await until(() => a.messages.some((m) => m.t === "subscribed"));
    const hub = server.ctx.priceHub;
    hub.publishTrade("MNQ", 21000, 1, "B", T0);
    hub.publishQuote("MNQ", 20999.75, 21000, 3, 4, T0);
    hub.publishTrade("MNQ", 21000.25, 2, "A", T0 + 1);
    hub.publishTrade("MNQ", 21000, 5, "B", T0 + 2);
    hub.publishQuote("MNQ", 21000, 21000.25, 7, 8, T0 + 2);
    await until(() => a.messages.some((m) => m.t === "trades"));
    // Nothing after the one burst message.
    await expectQuietFor(20, () =>
      expect(a.messages.filter((m) => m.t !== "subscribed" && m.t !== "hello")).toEqual([
        // MNQ printed once at 1 in an earlier test: the current state on subscribe.
        { t: "trade", s: "MNQ", p: 1, q: 1, side: "B", ts: T0 },
        {
          t: "trades",
          s: "MNQ",
          p: [21000, 21000.25, 21000],
          q: [1, 2, 5],
          side: "BAB",
          ts: T0,
          dt: [0, 1, 2],
          quote: { b: 21000, a: 21000.25, bs: 7, as: 8, ts: T0 + 2 },
        },
      ]),
    );
    const b = open();
    await b.opened;
    b.ws.send(JSON.stringify({ op: "subscribe", symbols: ["MNQ1!"] }));
    await until(() => b.messages.some((m) => m.t === "subscribed"));
    expect(b.messages.filter((m) => m.t === "trade" || m.t === "quote")).toEqual([
      { t: "quote", s: "MNQ", b: 21000, a: 21000.25, bs: 7, as: 8, ts: T0 + 2 },
      { t: "trade", s: "MNQ", p: 21000, q: 5, side: "B", ts: T0 + 2 },
    ]);
    a.ws.close();
    b.ws.close();
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
    // Subscribed once the server answers the frame.
    await new Promise<void>((r) => sock.once("data", () => r()));
    sock.pause();
    // 4,000 bursts of 200 prints, each burst one message of ~2.7 KB: ~11 MB published.
    let bytes = 0;
    const hub = server.ctx.priceHub as unknown as { publisher: HubPublisher };
    const real = hub.publisher;
    hub.publisher = {
      publish(topic, data) {
        if (topic === "px:MES") bytes += data.length;
        real.publish(topic, data);
      },
    };
    try {
      for (let burst = 0; burst < 4000; burst++) {
        for (let i = 0; i < 200; i++)
          server.ctx.priceHub.publishTrade("MES", 5000 + burst * 200 + i, 1, "B", T0 + burst);
        await Promise.resolve(); // the end of the burst: the hub publishes it
      }
    } finally {
      hub.publisher = real;
    }
    expect(bytes).toBeGreaterThan(9 * 1024 * 1024);
    for (let i = 0; i < 10; i++) {
      server.ctx.priceHub.tick();
      await Bun.sleep(30);
    }
    // What waits for this client is bounded by the hub's high-water mark plus the socket
    // buffers, not by what was published.
    let buffered = 0;
    for (const [s] of (server.ctx.priceHub as unknown as { clients: Map<{ bufferedAmount(): number }, unknown> })
      .clients)
      buffered = Math.max(buffered, s.bufferedAmount());
    // (Without the hub's switch to latest-only, Bun's own 4 MB backpressure limit is reached.)
    expect(buffered).toBeLessThan(1024 * 1024);
    sock.destroy();
  });
});
