// The timed rounds: each endpoint under wrk at each connection count, re-seeded before every run.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { luaScript, seed, wrk, type Endpoint, type Target, type WrkRun } from "../http-api-load";
import { CONNECTIONS, dir, ENDPOINTS, SECONDS, SETTLE_MS, THREADS, WARM_SECONDS } from "./options";
import { int, ms } from "./report";
import { rssMb, type Server } from "./servers";

/** wrk's results per server, endpoint and connection count, one per round. */
const runs = new Map<string, WrkRun[]>();
const runKey = (server: string, e: Endpoint, c: number) => `${server}|${e.name}|${c}`;
export const runsOf = (server: string, e: Endpoint, c: number): WrkRun[] => runs.get(runKey(server, e, c))!;

async function measure(t: Target, e: Endpoint, c: number, seconds: number): Promise<WrkRun> {
  await seed(t);
  await e.prepare?.(t);
  const script = join(dir, "load.lua");
  writeFileSync(script, luaScript(e, t.headers, THREADS));
  return wrk(t.base + e.path, script, THREADS, c, seconds);
}

/** Ours' RSS: idle after the first start, and after each round's load. */
export const rss = { idle: 0, loaded: [] as number[] };

export async function round(r: number, server: Server): Promise<void> {
  const t = await server.start(`round${r}`);
  try {
    await Bun.sleep(SETTLE_MS);
    if (server.label === "ours" && r === 1) rss.idle = rssMb(t.pid);
    if (r === 1) console.log(`${server.label}: seeded ${await seed(t)}`);
    for (const e of ENDPOINTS) {
      await measure(t, e, CONNECTIONS[0]!, WARM_SECONDS);
      for (const c of CONNECTIONS) {
        const run = await measure(t, e, c, SECONDS);
        const key = runKey(server.label, e, c);
        runs.set(key, [...(runs.get(key) ?? []), run]);
        const errors = run.socketErrors ? `  socket errors: ${run.socketErrors}` : "";
        console.log(
          `round ${r}  ${server.label.padEnd(10)} ${e.name.padEnd(42)} c${String(c).padEnd(3)} ${int(run.rps).padStart(7)} req/s  p50 ${ms(run.p50)} ms  p99 ${ms(run.p99)} ms${errors}`,
        );
      }
    }
    if (server.label === "ours") rss.loaded.push(rssMb(t.pid));
  } finally {
    await t.stop();
  }
}
