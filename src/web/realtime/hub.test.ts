import { describe, expect, test } from "bun:test";
import { PriceHub, type HubPublisher, type HubSocket } from "./hub";

/** Emulates Bun's topic publish and a socket whose unread bytes we control. */
class FakeSocket implements HubSocket {
  topics = new Set<string>();
  received: string[] = [];
  buffered = 0;
  send(d: string) {
    this.received.push(d);
    return d.length;
  }
  subscribe(t: string) {
    this.topics.add(t);
  }
  unsubscribe(t: string) {
    this.topics.delete(t);
  }
  bufferedAmount() {
    return this.buffered;
  }
  /** Every message as parsed JSON. */
  get messages(): any[] {
    return this.received.map((m) => JSON.parse(m));
  }
  /** The prices of every print received, in order, from `trade` and `trades` messages. */
  get prints(): number[] {
    return this.messages.flatMap((m) => (m.t === "trade" ? [m.p] : m.t === "trades" ? m.p : []));
  }
}

function setup(now = () => 0) {
  const sockets: FakeSocket[] = [];
  const published: { topic: string; data: string }[] = [];
  const publisher: HubPublisher = {
    publish: (topic, data) => {
      published.push({ topic, data });
      for (const s of sockets) if (s.topics.has(topic)) s.send(data);
    },
  };
  const hub = new PriceHub({ highWaterBytes: 1000, now });
  hub.attach(publisher);
  const client = () => {
    const s = new FakeSocket();
    sockets.push(s);
    hub.add(s);
    return s;
  };
  return { hub, client, published };
}

const T0 = 1_795_000_000_000;
/** The `trade` message of one print, as the hub writes it. */
const trade = (s: string, p: number, q = 1, side = "B", ts = T0) => JSON.stringify({ t: "trade", s, p, q, side, ts });
/** The end of the current synchronous burst: the hub's flush microtask has run. */
const endOfBurst = () => Promise.resolve();

describe("price hub", () => {
  test("push clients get every print of their symbols only; a new subscriber gets the current state", async () => {
    const { hub, client } = setup();
    const a = client();
    hub.subscribe(a, ["MES"]);
    hub.publishTrade("MES", 1, 1, "B", T0);
    hub.publishTrade("MNQ", 2, 1, "B", T0);
    await endOfBurst();
    hub.publishTrade("MES", 3, 1, "B", T0);
    await endOfBurst();
    hub.publishQuote("MES", 2.75, 3, 5, 6, T0 + 1);
    await endOfBurst();
    // A burst with one print of a symbol is a plain `trade` message; with only a quote, a `quote` message.
    expect(a.received).toEqual([
      trade("MES", 1),
      trade("MES", 3),
      JSON.stringify({ t: "quote", s: "MES", b: 2.75, a: 3, bs: 5, as: 6, ts: T0 + 1 }),
    ]);
    const b = client();
    hub.subscribe(b, ["MES", "MNQ"]);
    expect(b.messages).toEqual([
      { t: "quote", s: "MES", b: 2.75, a: 3, bs: 5, as: 6, ts: T0 + 1 },
      { t: "trade", s: "MES", p: 3, q: 1, side: "B", ts: T0 },
      { t: "trade", s: "MNQ", p: 2, q: 1, side: "B", ts: T0 },
    ]);
    expect(hub.snapshot("MES")).toEqual({
      trade: { t: "trade", s: "MES", p: 3, q: 1, side: "B", ts: T0 },
      quote: { t: "quote", s: "MES", b: 2.75, a: 3, bs: 5, as: 6, ts: T0 + 1 },
    });
    expect(hub.snapshot("ES")).toEqual({ trade: undefined, quote: undefined });
  });

  test("a burst of prints is one message per symbol, every print in order, sent at the end of the burst", async () => {
    const { hub, client, published } = setup();
    const a = client();
    hub.subscribe(a, ["MES", "MNQ"]);
    hub.publishTrade("MES", 5000.25, 1, "B", T0);
    hub.publishQuote("MES", 5000, 5000.25, 10, 12, T0);
    hub.publishTrade("MNQ", 21000.5, 2, "A", T0 + 1);
    hub.publishTrade("MES", 5000.5, 3, "A", T0 + 2);
    hub.publishQuote("MES", 5000.25, 5000.5, 9, 11, T0 + 2);
    hub.publishTrade("MES", 5000.25, 4, "N", T0 + 3);
    expect(a.received).toEqual([]); // nothing waits for a timer, but nothing goes out mid-burst
    await endOfBurst();
    expect(a.messages).toEqual([
      // Every print in order, and the book as it stands at the end of the burst.
      {
        t: "trades",
        s: "MES",
        p: [5000.25, 5000.5, 5000.25],
        q: [1, 3, 4],
        side: "BAN",
        ts: T0,
        dt: [0, 2, 3],
        quote: { b: 5000.25, a: 5000.5, bs: 9, as: 11, ts: T0 + 2 },
      },
      { t: "trade", s: "MNQ", p: 21000.5, q: 2, side: "A", ts: T0 + 1 },
    ]);
    // One publish per symbol and burst (price_changed only once a legacy socket wants it).
    expect(published.map((p) => p.topic)).toEqual(["px:MES", "px:MNQ"]);
    // The latest print and quote are the snapshot.
    expect(hub.snapshot("MES")).toEqual({
      trade: { t: "trade", s: "MES", p: 5000.25, q: 4, side: "N", ts: T0 + 3 },
      quote: { t: "quote", s: "MES", b: 5000.25, a: 5000.5, bs: 9, as: 11, ts: T0 + 2 },
    });
    // A burst with one print and a moved book; a burst where only the book moved; one without prints of MNQ.
    hub.publishTrade("MES", 5000.5, 1, "B", T0 + 4);
    hub.publishQuote("MES", 5000.5, 5000.75, 1, 2, T0 + 4);
    await endOfBurst();
    hub.publishQuote("MES", 5000.25, 5000.75, 3, 2, T0 + 5);
    await endOfBurst();
    expect(a.messages.slice(2)).toEqual([
      {
        t: "trades",
        s: "MES",
        p: [5000.5],
        q: [1],
        side: "B",
        ts: T0 + 4,
        dt: [0],
        quote: { b: 5000.5, a: 5000.75, bs: 1, as: 2, ts: T0 + 4 },
      },
      { t: "quote", s: "MES", b: 5000.25, a: 5000.75, bs: 3, as: 2, ts: T0 + 5 },
    ]);
  });

  test("a huge burst is split so no message grows without bound; no print is lost or reordered", async () => {
    const { hub, client } = setup();
    const a = client();
    hub.subscribe(a, ["MES"]);
    const n = PriceHub.MAX_BATCH * 2 + 100;
    for (let i = 0; i < n; i++) hub.publishTrade("MES", i, 1, "B", T0 + i);
    await endOfBurst();
    expect(a.messages.map((m) => m.p.length)).toEqual([PriceHub.MAX_BATCH, PriceHub.MAX_BATCH, 100]);
    expect(a.prints).toEqual(Array.from({ length: n }, (_, i) => i));
  });

  test("a subscribe in the middle of a burst gets the current state once, not the burst again", async () => {
    const { hub, client } = setup();
    const a = client();
    hub.subscribe(a, ["MES"]);
    hub.publishTrade("MES", 1, 1, "B", T0);
    hub.publishTrade("MES", 2, 1, "B", T0);
    const b = client();
    hub.subscribe(b, ["MES"]);
    hub.publishTrade("MES", 3, 1, "B", T0);
    await endOfBurst();
    expect(a.prints).toEqual([1, 2, 3]);
    expect(b.prints).toEqual([2, 3]);
  });

  test("a backed-up client switches to latest-only, holds nothing while stalled, and catches up when it drains", async () => {
    const { hub, client } = setup();
    const slow = client();
    const fast = client();
    hub.subscribe(slow, ["MES"]);
    hub.subscribe(fast, ["MES"]);
    slow.buffered = 5000; // the browser stopped reading
    hub.tick();
    for (let burst = 0; burst < 100; burst++) {
      for (let i = 0; i < 10; i++) {
        hub.publishTrade("MES", burst * 10 + i, 1, "B", T0);
        hub.publishQuote("MES", burst * 10 + i - 0.25, burst * 10 + i + 0.25, 1, 1, T0);
      }
      await endOfBurst();
    }
    expect(fast.prints).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(fast.received.length).toBe(100); // one message per burst
    expect(slow.received.length).toBe(0);
    hub.tick(); // still backed up: nothing more queued for it
    expect(slow.received.length).toBe(0);
    slow.buffered = 0;
    hub.drained(slow);
    expect(slow.messages).toEqual([
      { t: "quote", s: "MES", b: 998.75, a: 999.25, bs: 1, as: 1, ts: T0 },
      { t: "trade", s: "MES", p: 999, q: 1, side: "B", ts: T0 },
    ]);
    expect(hub.stats(slow)!.coalesced).toBe(1999);
    // Drained fully: back on live push, batched again.
    hub.publishTrade("MES", 1000, 1, "B", T0);
    hub.publishTrade("MES", 1001, 1, "B", T0);
    await endOfBurst();
    expect(slow.prints).toEqual([999, 1000, 1001]);
  });

  test("a socket found backed up during a burst gets that burst as its latest value, not lost", async () => {
    const { hub, client } = setup();
    const slow = client();
    const fast = client();
    hub.subscribe(slow, ["MES"]);
    hub.subscribe(fast, ["MES"]);
    hub.publishTrade("MES", 1, 1, "B", T0);
    await endOfBurst();
    slow.buffered = 5000;
    // Enough prints in one burst that the hub checks the sockets before publishing it.
    for (let i = 2; i <= 70; i++) hub.publishTrade("MES", i, 1, "B", T0);
    await endOfBurst();
    expect(fast.prints.length).toBe(70);
    expect(slow.prints).toEqual([1]);
    slow.buffered = 0;
    hub.drained(slow);
    expect(slow.prints).toEqual([1, 70]);
  });

  test("a requested maximum rate is honoured with latest values", async () => {
    let now = 0;
    const { hub, client } = setup(() => now);
    const c = client();
    hub.subscribe(c, ["MES"]);
    hub.setRate(c, 2); // every 500 ms at most
    for (let i = 0; i < 10; i++) hub.publishTrade("MES", i, 1, "B", T0);
    await endOfBurst();
    expect(c.received).toEqual([]);
    now = 100;
    hub.tick();
    expect(c.received).toEqual([trade("MES", 9)]);
    hub.publishTrade("MES", 10, 1, "B", T0);
    now = 300;
    hub.tick();
    expect(c.received.length).toBe(1);
    now = 700;
    hub.tick();
    expect(c.received).toEqual([trade("MES", 9), trade("MES", 10)]);
    hub.setRate(c, null);
    hub.publishTrade("MES", 11, 1, "B", T0);
    await endOfBurst();
    expect(c.received.at(-1)).toBe(trade("MES", 11));
  });

  test("legacy clients get price_changed with the price at the end of each burst and on subscribe", async () => {
    const { hub, client } = setup();
    const changed = (price: number) => JSON.stringify({ event: "price_changed", data: { symbol: "MES", price } });
    const old = client();
    hub.subscribe(old, ["MES"], true);
    hub.publishTrade("MES", 1, 1, "B", T0);
    await endOfBurst();
    expect(old.received).toEqual([trade("MES", 1), changed(1)]);
    hub.publishTrade("MES", 2, 1, "B", T0);
    hub.publishTrade("MES", 3, 1, "B", T0);
    await endOfBurst();
    expect(old.received.slice(2).map((m) => JSON.parse(m))).toEqual([
      { t: "trades", s: "MES", p: [2, 3], q: [1, 1], side: "BB", ts: T0, dt: [0, 0] },
      { event: "price_changed", data: { symbol: "MES", price: 3 } },
    ]);
    // A new legacy subscriber hears the current price at once; a non-legacy one never gets price_changed.
    const later = client();
    hub.subscribe(later, ["MES"], true);
    expect(later.received).toEqual([trade("MES", 3), changed(3)]);
    const modern = client();
    hub.subscribe(modern, ["MES"]);
    hub.publishTrade("MES", 4, 1, "B", T0);
    await endOfBurst();
    expect(modern.received).toEqual([trade("MES", 3), trade("MES", 4)]);
    // Served latest-only, a legacy client still gets price_changed.
    old.buffered = 5000;
    hub.tick();
    hub.publishTrade("MES", 5, 1, "B", T0);
    await endOfBurst();
    old.buffered = 0;
    hub.drained(old);
    expect(old.received.slice(-2)).toEqual([trade("MES", 5), changed(5)]);
  });

  test("bars and user messages go out after the prints before them; bars and status reach subscribers in any mode; unsubscribe stops", async () => {
    const { hub, client } = setup();
    const a = client();
    hub.subscribe(a, ["MES"]);
    a.topics.add("user:1");
    hub.publishTrade("MES", 1, 1, "B", T0);
    hub.broadcast("MES", '{"t":"bar"}');
    hub.publishTrade("MES", 2, 1, "B", T0);
    hub.publishUser(1, '{"t":"position"}');
    await endOfBurst();
    expect(a.received).toEqual([trade("MES", 1), '{"t":"bar"}', trade("MES", 2), '{"t":"position"}']);
    const other = client();
    hub.subscribe(other, ["MNQ"]);
    hub.broadcast(null, '{"t":"status"}');
    a.buffered = 5000;
    hub.tick();
    hub.broadcast("MES", '{"t":"bar2"}');
    hub.broadcast(null, '{"t":"status2"}');
    expect(a.received.slice(-4)).toEqual(['{"t":"position"}', '{"t":"status"}', '{"t":"bar2"}', '{"t":"status2"}']);
    // Bars only to the symbol's subscribers; status to everyone.
    expect(other.received).toEqual(['{"t":"status"}', '{"t":"status2"}']);
    hub.unsubscribe(a, ["MES"]);
    hub.broadcast("MES", '{"t":"bar3"}');
    expect(a.received.at(-1)).toBe('{"t":"status2"}');
    // Back on push: bars again, once.
    a.buffered = 0;
    hub.subscribe(a, ["MES"]);
    hub.drained(a);
    hub.broadcast("MES", '{"t":"bar4"}');
    expect(a.received.filter((m) => m === '{"t":"bar4"}').length).toBe(1);
  });

  test("messages are valid JSON whatever the numbers", async () => {
    const { hub, client } = setup();
    const a = client();
    hub.subscribe(a, ["MES"]);
    hub.publishTrade("MES", Number.NaN, 1, "B", T0);
    hub.publishTrade("MES", 1e21, 1, "B", T0);
    hub.publishQuote("MES", null, Number.POSITIVE_INFINITY, 0, 0, T0);
    await endOfBurst();
    expect(a.messages).toEqual([
      {
        t: "trades",
        s: "MES",
        p: [null, 1e21],
        q: [1, 1],
        side: "BB",
        ts: T0,
        dt: [0, 0],
        quote: { b: null, a: null, bs: 0, as: 0, ts: T0 },
      },
    ]);
    hub.publishQuote("MES", Number.NaN, 2, 0, 0, T0);
    await endOfBurst();
    expect(a.messages.at(-1)).toEqual({ t: "quote", s: "MES", b: null, a: 2, bs: 0, as: 0, ts: T0 });
  });
});
