// The tables and notes bench/ticks-to-ws.ts prints.
import type { RunResult } from "./clients";
import { CLIENTS, INSTANCES, SPLIT } from "./options";
import type { Histogram } from "./tape";

export const fmt = (ms: number) => (ms < 10 ? ms.toFixed(3) : ms < 1000 ? ms.toFixed(1) : ms.toFixed(0));

/** Prints the single-process table's header; the returned function prints one run's row. */
export function singleTable(): (n: number, res: RunResult) => void {
  const header = [
    "clients",
    "sent",
    "recv min",
    "recv avg",
    "coalesced",
    "hub p50",
    "hub p99",
    "p50 ms",
    "p90 ms",
    "p99 ms",
    "p99.9 ms",
    "max ms",
  ];
  const line = (cells: string[]) => console.log(cells.map((c, i) => c.padStart(i === 4 ? 13 : 9)).join(""));
  console.log("");
  line(header);
  return (n, res) => {
    const h = res.hist;
    const coalesced = res.sent - res.recvAvg;
    const row = [
      String(n),
      String(res.sent),
      String(res.recvMin),
      res.recvAvg.toFixed(0),
      `${coalesced.toFixed(0)} (${((coalesced / res.sent) * 100).toFixed(0)}%)`,
      ...(SPLIT ? ["–", "–"] : [fmt(res.hub.quantile(0.5)), fmt(res.hub.quantile(0.99))]),
      fmt(h.quantile(0.5)),
      fmt(h.quantile(0.9)),
      fmt(h.quantile(0.99)),
      fmt(h.quantile(0.999)),
      fmt(h.max),
    ];
    line(row);
  };
}

export function singleNotes(results: RunResult[]): void {
  console.log("\nnotes:");
  for (const r of results)
    console.log(
      `  N=${r.n}: ${r.hist.count.toLocaleString()} latency samples; clients opened+subscribed in ${r.openMs.toFixed(0)} ms; last trade reached ${r.short ? `only ${r.n - r.short} of ${r.n} clients within` : "every client"} ${r.tailMs.toFixed(0)} ms after the last write`,
    );
  const p99at100 = results.find((r) => r.n === 100)?.hist.quantile(0.99);
  if (p99at100 !== undefined)
    console.log(`  target p99 ≤ 1 ms at N = 100: ${p99at100 <= 1 ? "met" : "NOT met"} (${fmt(p99at100)} ms)`);
  console.log(`  latency = client receive − gateway write, one performance.now() clock; percentiles from a 1 %-wide log histogram.
hub p50/p99 = gateway write → decoded, on the bus and handed to every socket (topic publish returned); in-process only.
The server sends what one decoded chunk holds as one message per symbol ({"t":"trades",…}: every print in
order, one latency sample each, and the book at the end of the chunk when it moved).
coalesced = sent − received prints (avg per client): a client whose socket backs up (> 64 KB unsent in the
server) is served latest-only.
${SPLIT ? "Gateway and clients share this process, the server has its own" : "Gateway, server and all clients share one process"}, on ${navigator.hardwareConcurrency} CPU cores: with many clients
their receive work (one JS event per message) dominates, so those rows measure the client side more than the server.`);
}

/** The single-process runs beside the cluster's, per client count. */
export function clusterTable(
  single: RunResult[],
  clustered: { res: RunResult; roles: string[] }[],
  sessions: number,
  warned: string[],
): void {
  const pct = (res: { received: number; expected: number }) => `${res.received}/${res.expected}`;
  const cols = [
    "clients",
    "server",
    "p50 ms",
    "p90 ms",
    "p99 ms",
    "p99.9 ms",
    "max ms",
    "received/expected",
    "recv min",
  ];
  const widths = [8, 36, 9, 9, 9, 9, 9, 22, 10];
  const line = (cells: string[]) =>
    console.log(cells.map((c, i) => (i === 1 ? `  ${c.padEnd(widths[i]!)}` : c.padStart(widths[i]!))).join(""));
  const row = (n: string, label: string, h: Histogram, received: number, expected: number, recvMin: number) =>
    line([
      n,
      label,
      fmt(h.quantile(0.5)),
      fmt(h.quantile(0.9)),
      fmt(h.quantile(0.99)),
      fmt(h.quantile(0.999)),
      fmt(h.max),
      pct({ received, expected }),
      String(recvMin),
    ]);
  console.log("");
  line(cols);
  for (let k = 0; k < CLIENTS.length; k++) {
    const s = single[k]!;
    const { res: c, roles } = clustered[k]!;
    row(
      String(s.n),
      SPLIT ? "one process (--split)" : "one process (in the bench's)",
      s.hist,
      s.received,
      s.sent * s.n,
      s.recvMin,
    );
    row(String(c.n), `cluster of ${INSTANCES}`, c.hist, c.received, c.sent * c.n, c.recvMin);
    for (const [i, sl] of c.slots.entries())
      row(
        "",
        `  instance ${i} (${roles[i]}, ${sl.n} clients)`,
        sl.hist,
        Math.round(sl.recvAvg * sl.n),
        c.sent * sl.n,
        sl.recvMin,
      );
  }
  console.log("\nnotes:");
  for (let k = 0; k < CLIENTS.length; k++) {
    const s = single[k]!;
    const c = clustered[k]!.res;
    const tail = (r: RunResult) =>
      `${r.short ? `only ${r.n - r.short} of ${r.n} clients` : "every client"} had the last trade ${r.tailMs.toFixed(0)} ms after its write`;
    console.log(
      `  N=${s.n}: one process: opened+subscribed in ${s.openMs.toFixed(0)} ms, ${tail(s)}${SPLIT ? "" : `; hub p50/p99 ${fmt(s.hub.quantile(0.5))}/${fmt(s.hub.quantile(0.99))} ms`}`,
    );
    console.log(
      `  N=${c.n}: cluster: opened+subscribed in ${c.openMs.toFixed(0)} ms, ${tail(c)}${c.unsent ? `; ${c.unsent} prints written with no gateway session open` : ""}${c.maxOpen > 1 ? `; ${c.maxOpen} gateway sessions open at once` : ""}`,
    );
  }
  const foreign = [...single, ...clustered.map((c) => c.res)].reduce((a, r) => a + r.foreign, 0);
  console.log(`  ${warned.length ? `instances' warnings: ${warned.join("; ")}\n  ` : ""}the gateway served ${sessions} sessions in all (1 for the single-process server, ${sessions - 1} for the cluster: more than 1 means the feed lease moved)${foreign ? `; ${foreign} prices received that this bench never sent (another feed on the same NATS?)` : ""}
latency = client receive − gateway write, one performance.now() clock; percentiles from a 1 %-wide log histogram.
received/expected = prints received by all clients / (prints sent × clients); recv min = fewest prints one client got.
Cluster: the gateway's session is the feed leader's; its records reach the other instances through NATS
(cluster/feed-relay.ts), which feed them to their own sockets, so a follower's clients pay the relay hop.
Clients are spread evenly over the instances, each on an instance's own port (no proxy). Gateway and all
clients share this process; the ${INSTANCES} instances ${SPLIT ? "and the single-process server " : ""}have their own, all on ${navigator.hardwareConcurrency} CPU cores.`);
}
