import { describe, expect, test } from "bun:test";
import { PriceHub, type HubPublisher, type HubSocket } from "./price-hub";

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
}

function setup(now = () => 0) {
  const sockets: FakeSocket[] = [];
  const publisher: HubPublisher = { publish: (topic, data) => sockets.filter((s) => s.topics.has(topic)).forEach((s) => s.send(data)) };
  const hub = new PriceHub({ highWaterBytes: 1000, now });
  hub.attach(publisher);
  const client = () => {
    const s = new FakeSocket();
    sockets.push(s);
    hub.add(s);
    return s;
  };
  return { hub, client };
}

const trade = (sym: string, p: number) => JSON.stringify({ t: "trade", s: sym, p });

describe("price hub", () => {
  test("push clients get every message of their symbols only; a new subscriber gets the current state", () => {
    const { hub, client } = setup();
    const a = client();
    hub.subscribe(a, ["MES"]);
    hub.publish("MES", "trade", trade("MES", 1));
    hub.publish("MNQ", "trade", trade("MNQ", 2));
    hub.publish("MES", "trade", trade("MES", 3));
    expect(a.received).toEqual([trade("MES", 1), trade("MES", 3)]);
    const b = client();
    hub.subscribe(b, ["MES", "MNQ"]);
    expect(b.received).toEqual([trade("MES", 3), trade("MNQ", 2)]);
  });

  test("a backed-up client switches to latest-only and catches up when it drains", () => {
    const { hub, client } = setup();
    const slow = client();
    const fast = client();
    hub.subscribe(slow, ["MES"]);
    hub.subscribe(fast, ["MES"]);
    slow.buffered = 5000; // the browser stopped reading
    hub.tick();
    for (let i = 0; i < 1000; i++) hub.publish("MES", "trade", trade("MES", i));
    expect(fast.received.length).toBe(1000);
    expect(slow.received.length).toBe(0);
    hub.tick(); // still backed up: nothing more queued for it
    expect(slow.received.length).toBe(0);
    slow.buffered = 0;
    hub.drained(slow);
    expect(slow.received).toEqual([trade("MES", 999)]);
    expect(hub.stats(slow)!.coalesced).toBe(999);
    // Drained fully: back on live push.
    hub.publish("MES", "trade", trade("MES", 1000));
    expect(slow.received.at(-1)).toBe(trade("MES", 1000));
  });

  test("a requested maximum rate is honoured with latest values", () => {
    let now = 0;
    const { hub, client } = setup(() => now);
    const c = client();
    hub.subscribe(c, ["MES"]);
    hub.setRate(c, 2); // every 500 ms at most
    for (let i = 0; i < 10; i++) hub.publish("MES", "trade", trade("MES", i));
    now = 100;
    hub.tick();
    expect(c.received).toEqual([trade("MES", 9)]);
    hub.publish("MES", "trade", trade("MES", 10));
    now = 300;
    hub.tick();
    expect(c.received.length).toBe(1);
    now = 700;
    hub.tick();
    expect(c.received).toEqual([trade("MES", 9), trade("MES", 10)]);
    hub.setRate(c, null);
    hub.publish("MES", "trade", trade("MES", 11));
    expect(c.received.at(-1)).toBe(trade("MES", 11));
  });

  test("legacy clients get price_changed; bars reach subscribers in any mode; unsubscribe stops", () => {
    const { hub, client } = setup();
    const old = client();
    hub.subscribe(old, ["MES"], true);
    hub.publish("MES", "trade", trade("MES", 1), JSON.stringify({ event: "price_changed", data: { symbol: "MES", price: 1 } }));
    expect(old.received).toEqual([trade("MES", 1), '{"event":"price_changed","data":{"symbol":"MES","price":1}}']);
    old.buffered = 5000;
    hub.tick();
    hub.broadcast("MES", '{"t":"bar"}');
    expect(old.received.at(-1)).toBe('{"t":"bar"}');
    hub.unsubscribe(old, ["MES"]);
    hub.broadcast("MES", '{"t":"bar2"}');
    expect(old.received.at(-1)).toBe('{"t":"bar"}');
  });
});
