// The bench's browsers: WebSocket clients that time every print they receive, and one run of them.
import { PACE_MS, RATE } from "./options";
import { type Histogram, newRun, type Run, sendTrades, seqOf, tape } from "./tape";
import { pointsToNanos } from "../../src/shared/fixed-point";

interface Client {
  ws: WebSocket;
  /** Which of the run's targets (server instances) it is connected to. */
  slot: number;
  received: number;
  lastSeq: number;
  closed: Promise<void>;
}

/** Where the last `numberAt` stopped. */
let numEnd = 0;
/** The JSON number at d[i…], read without allocating (100 clients parse every print); sets numEnd. */
function numberAt(d: string, i: number): number {
  const start = i;
  let c = d.charCodeAt(i);
  const neg = c === 45;
  if (neg) c = d.charCodeAt(++i);
  let v = 0;
  for (; c >= 48 && c <= 57; c = d.charCodeAt(++i)) v = v * 10 + (c - 48);
  if (c === 46) {
    let scale = 1;
    for (c = d.charCodeAt(++i); c >= 48 && c <= 57; c = d.charCodeAt(++i)) {
      v = v * 10 + (c - 48);
      scale *= 10;
    }
    v /= scale;
  }
  if (c === 101 || c === 69) {
    // An exponent (never for these prices): the general parser.
    for (c = d.charCodeAt(++i); (c >= 48 && c <= 57) || c === 43 || c === 45; c = d.charCodeAt(++i));
    v = Math.abs(parseFloat(d.slice(start, i)));
  }
  numEnd = i;
  return neg ? -v : v;
}

/** Opens a client, subscribes to MES, resolves once "subscribed" arrives. */
function openClient(url: string, token: string, slot: number): Promise<Client> {
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } } as unknown as string[]);
  const c: Client = {
    ws,
    slot,
    received: 0,
    lastSeq: -1,
    closed: new Promise((r) => ws.addEventListener("close", () => r())),
  };
  return new Promise((resolve, reject) => {
    ws.onerror = () => reject(new Error(`websocket error (${url})`));
    ws.onopen = () => ws.send(JSON.stringify({ op: "subscribe", symbols: ["MES"] }));
    // One latency sample per print: receive time − that print's gateway write.
    const print = (now: number, price: number) => {
      const s = seqOf(pointsToNanos(price));
      if (s < tape.current.firstSeq || s >= tape.seq) {
        // The previous run's price, replayed on subscribe — or one this bench never sent.
        if (s < 0 || s >= tape.seq || c.received > 0) tape.current.foreign++;
        return;
      }
      c.received++;
      c.lastSeq = s;
      const ms = now - tape.sentAt[s]!;
      tape.current.hist.add(ms);
      tape.current.per[c.slot]!.add(ms);
    };
    ws.onmessage = (e) => {
      const now = performance.now();
      const d = e.data as string;
      // {"t":"trade",…} (one print) and {"t":"trades",…,"p":[…],…} (every print of a burst, in
      // order) are the only message types starting with 't'; skip JSON.parse on the hot path.
      if (d.charCodeAt(6) === 116) {
        if (d.charCodeAt(11) === 115) {
          for (let i = d.indexOf('"p":[') + 5; ; i = numEnd + 1) {
            print(now, numberAt(d, i));
            if (d.charCodeAt(numEnd) !== 44) break; // ','
          }
        } else print(now, numberAt(d, d.indexOf('"p":') + 4));
      } else if (d.startsWith('{"t":"subscribed"')) resolve(c);
    };
  });
}

export interface Target {
  url: string;
  token: string;
  stop(): Promise<void>;
}
interface SlotResult {
  n: number;
  recvMin: number;
  recvAvg: number;
  hist: Histogram;
}
export interface RunResult extends Run {
  n: number;
  sent: number;
  recvMin: number;
  recvAvg: number;
  received: number;
  openMs: number;
  tailMs: number;
  short: number;
  unsent: number;
  maxOpen: number;
  slots: SlotResult[];
}

/** `n` clients spread evenly over the targets (client i on target i mod k), `seconds` of trades at RATE. */
export async function run(n: number, seconds: number, targets: Target[]): Promise<RunResult> {
  const r: Run = (tape.current = newRun(targets.length));
  const t0 = performance.now();
  const clients: Client[] = [];
  for (let i = 0; i < n; i += 50) {
    clients.push(
      ...(await Promise.all(
        Array.from({ length: Math.min(50, n - i) }, (_, j) => {
          const slot = (i + j) % targets.length;
          return openClient(targets[slot]!.url.replace("http", "ws") + "/ws", targets[slot]!.token, slot);
        }),
      )),
    );
  }
  const openMs = performance.now() - t0;
  const firstSeq = tape.seq;
  const total = Math.round(RATE * seconds);
  let unsent = 0;
  tape.maxOpen = 0;
  await new Promise<void>((done) => {
    const start = performance.now();
    const timer = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * RATE)) - (tape.seq - firstSeq);
      // Stamped and counted as sent even without a live session (the feed lease moving mid-run),
      // so such a gap shows as prints not received.
      if (due > 0 && !sendTrades(due)) unsent += due;
      if (tape.seq - firstSeq >= total) {
        clearInterval(timer);
        done();
      }
    }, PACE_MS);
  });
  // Let every client catch up to the last trade (slow ones get it as their latest-only value).
  const tail0 = performance.now();
  while (clients.some((c) => c.lastSeq < tape.seq - 1) && performance.now() - tail0 < 60_000) await Bun.sleep(10);
  const tailMs = performance.now() - tail0;
  const short = clients.filter((c) => c.lastSeq < tape.seq - 1).length;
  for (const c of clients) c.ws.close();
  await Promise.all(clients.map((c) => c.closed));
  const summary = (cs: Client[]) => {
    const recv = cs.map((c) => c.received);
    return { recvMin: cs.length ? Math.min(...recv) : 0, received: recv.reduce((a, b) => a + b, 0) };
  };
  const all = summary(clients);
  const slots = targets.map((_, slot) => {
    const cs = clients.filter((c) => c.slot === slot);
    const s = summary(cs);
    return { n: cs.length, recvMin: s.recvMin, recvAvg: cs.length ? s.received / cs.length : 0, hist: r.per[slot]! };
  });
  return {
    ...r,
    n,
    sent: total,
    recvMin: all.recvMin,
    recvAvg: all.received / n,
    received: all.received,
    openMs,
    tailMs,
    short,
    unsent,
    maxOpen: tape.maxOpen,
    slots,
  };
}
