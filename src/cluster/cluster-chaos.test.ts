import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { sql } from "kysely";
import { startProxy, type RunningProxy } from "../web/nginx-proxy";
import { clusterNats, clusterPrerequisites, TestCluster, testPostgresUrl, until } from "./test-cluster";

/**
 * The cluster's acceptance test: three instances, Postgres, NATS and nginx in front, all on
 * loopback. 200 positions with take-profit ladders and stops across 50 users (4 symbols each,
 * two on the live account routed to a webhook recorded here, two on paper) on the simulated
 * feed; rounds of SIGKILL of a random instance (every other round the feed leader) and
 * SIGSTOP/SIGCONT of another for longer than its lease, while every user keeps sending
 * commands through nginx (retrying 502/503/504 with the same Idempotency-Key) and keeps one
 * WebSocket open through nginx (reconnecting when its instance dies). Then, from the database
 * and what the broker and the browsers received: every take-profit and stop filled exactly
 * once, no order id sent twice with different contents, no position through zero, no
 * acknowledged command lost, every browser kept receiving its positions' changes.
 *
 * CLUSTER_ROUNDS (default 20 under CI, 4 otherwise); CHAOS_SEED (default random, printed: who is
 * killed and which commands are sent; timing varies); CLUSTER_MAX_FAILOVER_MS (default 10 s).
 * Every instance's log and nginx's logs are written to test-artifacts/cluster-chaos/.
 */
const { haveDb, haveNats, haveNginx, missing } = await clusterPrerequisites();
const ready = haveDb && haveNats && haveNginx;
if (!ready) console.log(`cluster-chaos.test: SKIPPED — needs ${missing}; CI runs all of them`);

if (!ready && process.env.CI && testPostgresUrl) {
  test("CI provides NATS and nginx for the cluster's chaos test", () => {
    throw new Error(`cluster-chaos.test: missing under CI: ${missing}`);
  });
}

const ROUNDS = Number(process.env.CLUSTER_ROUNDS ?? (process.env.CI ? 20 : 4));
const SEED = Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));
const USERS = 50;
const INSTANCES = 3;
const LEASE_MS = 1500;
/** Past the lease: the others take the paused instance's shards before it runs again. */
const PAUSE_MS = 2500;
/**
 * Every user must be served again this soon after a SIGKILL. Usually it takes the lease and a
 * round (about 2 s); a request forwarded in the moment the owner died waits out the forwarding's
 * 8 s answer time before it is retried, hence the slack.
 */
const MAX_FAILOVER_MS = Number(process.env.CLUSTER_MAX_FAILOVER_MS ?? 10_000);

/** mulberry32: the choices (who is killed, which commands) follow CHAOS_SEED. */
function rng(seed: number): () => number {
  let s = seed | 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rnd = rng(SEED);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
const between = (a: number, b: number) => a + Math.floor(rnd() * (b - a + 1));

/**
 * Brackets that act within seconds on the simulated market (about 1 tick per √s for MES, 3 for
 * MNQ, 1.6 for MGC, 0.25 for MCL, plus the bid/ask bounce): take-profits 1–6 ticks, stops 2–10.
 */
const PLAN = {
  MES: { tick: 0.25, dec: 2, tp: [1, 2, 3], stop: [3, 5] },
  MNQ: { tick: 0.25, dec: 2, tp: [2, 4, 6], stop: [6, 10] },
  MCL: { tick: 0.01, dec: 2, tp: [1, 2, 3], stop: [2, 4] },
  MGC: { tick: 0.1, dec: 1, tp: [1, 2, 4], stop: [3, 5] },
} as const;
type Sym = keyof typeof PLAN;
const SYMBOLS = Object.keys(PLAN) as Sym[];

interface PositionMsg {
  at: number;
  account: string;
  symbol: string;
  qty: number;
  version: number;
  side: string | null;
  lastPrice: number | null;
  stop: { price: number; status: string } | null;
  closing: unknown;
  events: { kind: string; reason: string; ts: number }[];
}

/** One browser per user: a socket through nginx that reconnects when its instance dies. */
class BrowserSocket {
  readonly messages: PositionMsg[] = [];
  /** When the socket was subscribed (its hello arrived) and when it closed. */
  readonly intervals: { open: number; close?: number }[] = [];
  private ws: WebSocket | undefined;
  private stopped = false;
  private readonly latest = new Map<string, PositionMsg>();

  constructor(
    private readonly url: string,
    private readonly token: string,
  ) {}

  connect(): void {
    if (this.stopped) return;
    const ws = new WebSocket(this.url, { headers: { authorization: `Bearer ${this.token}` } } as unknown as string[]);
    this.ws = ws;
    let opened: { open: number; close?: number } | undefined;
    ws.onmessage = (e) => {
      const m = JSON.parse(String(e.data));
      if (m.t === "hello") {
        opened = { open: Date.now() };
        this.intervals.push(opened);
      } else if (m.t === "position") {
        const p = m.position ?? { qty: 0, version: -1, side: null, lastPrice: null, stop: null, closing: null };
        const msg: PositionMsg = {
          at: Date.now(),
          account: m.account,
          symbol: m.symbol,
          qty: p.qty,
          version: p.version,
          side: p.side,
          lastPrice: p.lastPrice,
          stop: p.stop ? { price: p.stop.price, status: p.stop.status } : null,
          closing: p.closing,
          events: m.events ?? [],
        };
        this.messages.push(msg);
        const key = `${msg.account}|${msg.symbol}`;
        const prev = this.latest.get(key);
        if (!prev || msg.version >= prev.version) this.latest.set(key, msg);
      }
    };
    ws.onclose = () => {
      if (opened) opened.close = Date.now();
      if (!this.stopped) setTimeout(() => this.connect(), 100 + Math.random() * 200);
    };
    ws.onerror = () => {};
  }

  state(account: string, symbol: string): PositionMsg | undefined {
    return this.latest.get(`${account}|${symbol}`);
  }

  get connected(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  close(): void {
    this.stopped = true;
    this.ws?.close();
  }
}

interface Trader {
  name: string;
  id: number;
  token: string;
  /** Account per symbol: two on live (webhook), two on paper. */
  accounts: Record<Sym, "live" | "paper">;
  browser: BrowserSocket;
}

type Outcome = "acked" | "refused" | "unknown" | "error";
interface CommandRecord {
  user: Trader;
  account: string;
  symbol: Sym;
  kind: "order" | "exit-all" | "exit-part" | "stop-move" | "stop-set" | "execution";
  key: string;
  startedAt: number;
  endedAt?: number;
  statuses: number[];
  outcome?: Outcome;
  message?: string;
}

/** What the webhook recorder (the "broker") received. */
interface HookCall {
  key: string | null;
  body: string;
  at: number;
}

/** A chaos action on an instance's process. */
interface Disturbance {
  pid: number;
  index: number;
  kind: "kill" | "stop";
  from: number;
  to: number;
}

describe.skipIf(!ready)("cluster chaos: 3 instances, Postgres, NATS, nginx; SIGKILL and SIGSTOP rounds", () => {
  let c: TestCluster;
  let nats: Awaited<ReturnType<typeof clusterNats>> | undefined;
  let proxy: RunningProxy;
  let recorder: ReturnType<typeof Bun.serve>;
  const hooks: HookCall[] = [];
  const traders: Trader[] = [];
  const commands: CommandRecord[] = [];
  const disturbances: Disturbance[] = [];
  /** Shard → [observed at, owner pid] whenever the owner changed (polled from engine_shards). */
  const owners = new Map<number, [number, number | null][]>();
  const failovers: {
    round: number;
    killed: number;
    leader: boolean;
    servedMs: number;
    claimedMs: number;
    feedMs?: number;
    paused: number;
    takeoverMs: number;
    resumedMs: number;
  }[] = [];
  let ownerPoll: ReturnType<typeof setInterval> | undefined;
  /** Rounds whose paused instance kept shards through its whole pause, with what held them. */
  const stuckTakeovers: string[] = [];
  /** Moments when some user got no answer for too long. */
  const unserved: string[] = [];
  /** Rounds whose SIGKILL left some user unserved for longer than MAX_FAILOVER_MS. */
  const slowFailovers: string[] = [];
  let lastRoundEnd = 0;
  let seq = 0;
  let t0 = 0;

  const api = (u: Trader, method: string, path: string, body?: unknown, key?: string) =>
    fetch(`${proxy.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${u.token}`,
        "content-type": "application/json",
        ...(key ? { "idempotency-key": key } : {}),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(20_000),
    });

  /** A command through nginx: retried on 502/503/504 (and no answer) with the same Idempotency-Key, as the API asks. */
  async function command(
    u: Trader,
    kind: CommandRecord["kind"],
    account: string,
    symbol: Sym,
    method: string,
    path: string,
    body: unknown,
  ): Promise<CommandRecord> {
    const rec: CommandRecord = {
      user: u,
      account,
      symbol,
      kind,
      key: `${u.name}-${++seq}`,
      startedAt: Date.now(),
      statuses: [],
    };
    commands.push(rec);
    const deadline = Date.now() + 30_000;
    for (;;) {
      let status = 0;
      let json: { message?: string } | undefined;
      try {
        const res = await api(u, method, path, body, rec.key);
        status = res.status;
        json = (await res.json().catch(() => undefined)) as typeof json;
      } catch {
        status = 0;
      }
      rec.statuses.push(status);
      if (status >= 200 && status < 300) rec.outcome = "acked";
      else if ((status === 0 || status === 502 || status === 503 || status === 504) && Date.now() < deadline) {
        await Bun.sleep(150 + Math.random() * 150);
        continue;
      } else
        rec.outcome = status >= 400 && status < 500 ? "refused" : status === 0 || status >= 502 ? "unknown" : "error";
      rec.message = json?.message;
      rec.endedAt = Date.now();
      return rec;
    }
  }

  function bracketOrder(sym: Sym) {
    const p = PLAN[sym];
    const qty = between(2, 4);
    const sizes =
      qty === 2
        ? [1, 1]
        : qty === 3
          ? pick([
              [1, 1, 1],
              [1, 2],
              [2, 1],
            ])
          : pick([
              [1, 1, 2],
              [1, 1, 1],
              [2, 1, 1],
            ]);
    const stopTicks = between(p.stop[0], p.stop[1]);
    const r = rnd();
    const stop =
      r < 0.6
        ? { kind: "fixed", initial: { unit: "ticks", value: stopTicks } }
        : r < 0.8
          ? {
              kind: "trailing",
              initial: { unit: "ticks", value: stopTicks },
              trailBy: { unit: "ticks", value: stopTicks },
            }
          : {
              kind: "fixed",
              initial: { unit: "ticks", value: stopTicks },
              breakevenAfterTp1: { offsetTicks: 1, thenTrail: false },
            };
    return {
      side: pick(["buy", "sell"] as const),
      qty,
      bracket: { ladder: sizes.map((q, i) => ({ qty: q, target: { unit: "ticks", value: p.tp[i]! } })), stop },
    };
  }

  const posPath = (acct: string, sym: string) => `/api/v1/accounts/${acct}/positions/${sym}`;
  const open = (u: Trader, sym: Sym) =>
    command(u, "order", u.accounts[sym], sym, "POST", `${posPath(u.accounts[sym], sym)}/orders`, bracketOrder(sym));

  /** One step of a trader: a new bracket on a flat symbol; on an open one an exit, a partial exit, or a stop moved or set anew. */
  async function act(u: Trader): Promise<void> {
    const sym = pick(SYMBOLS);
    const acct = u.accounts[sym];
    const st = u.browser.state(acct, sym);
    if (!st || st.qty === 0) {
      if (!st?.closing) await open(u, sym);
      return;
    }
    const p = PLAN[sym];
    const r = rnd();
    if (r < 0.2) await command(u, "exit-all", acct, sym, "POST", `${posPath(acct, sym)}/exit`, {});
    else if (r < 0.35 && st.qty >= 2)
      await command(u, "exit-part", acct, sym, "POST", `${posPath(acct, sym)}/exit`, { qty: 1 });
    else if (r < 0.75 && st.stop && st.lastPrice) {
      // One tick nearer or farther, never on the wrong side of the last print.
      const last = Math.round(st.lastPrice / p.tick);
      const cur = Math.round(st.stop.price / p.tick) + (rnd() < 0.5 ? 1 : -1);
      const ticks = st.side === "long" ? Math.min(cur, last - 1) : Math.max(cur, last + 1);
      await command(u, "stop-move", acct, sym, "POST", `${posPath(acct, sym)}/stop/move`, {
        price: (ticks * p.tick).toFixed(p.dec),
      });
    } else {
      await command(u, "stop-set", acct, sym, "PUT", `${posPath(acct, sym)}/stop`, {
        stop: { kind: "fixed", initial: { unit: "ticks", value: between(p.stop[0], p.stop[1] + 2) } },
      });
    }
  }

  let trading = false;
  const loops: Promise<void>[] = [];
  function startTrading(): void {
    trading = true;
    for (const u of traders) {
      loops.push(
        (async () => {
          while (trading) {
            await Bun.sleep(900 + Math.random() * 1800);
            if (trading) await act(u);
          }
        })(),
      );
    }
  }
  async function stopTrading(): Promise<void> {
    trading = false;
    await Promise.all(loops.splice(0));
  }

  /** Every user gets a 200 for GET /api/v1/positions through nginx (asked after `since`): ms from `since` to the last one. */
  async function allServed(since: number, within = 20_000): Promise<number> {
    const tries = new Map<string, string[]>();
    const done = await Promise.all(
      traders.map(async (u) => {
        const seen: string[] = [];
        tries.set(u.name, seen);
        for (;;) {
          const t = Date.now();
          const res = await api(u, "GET", "/api/v1/positions").catch(() => undefined);
          seen.push(`${res?.status ?? "no answer"} after ${Date.now() - t} ms`);
          if (res?.status === 200) {
            await res.arrayBuffer();
            return Date.now();
          }
          await res?.arrayBuffer().catch(() => {});
          if (Date.now() - since > within) return Number.POSITIVE_INFINITY;
          await Bun.sleep(50);
        }
      }),
    );
    const ms = Math.max(...done) - since;
    if (ms > 4000) {
      const slow = traders[done.indexOf(Math.max(...done))]!;
      const seen = tries.get(slow.name)!;
      const what = `${slow.name} (user ${slow.id}, shard ${slow.id % 64}) after ${Number.isFinite(ms) ? `${ms} ms` : `more than ${within} ms`}: ${seen.slice(0, 3).join(", ")}${seen.length > 6 ? `, … ${seen.length - 6} more …` : ""}, ${seen.slice(Math.max(3, seen.length - 3)).join(", ")}`;
      console.log(`cluster-chaos: slowest to be served: ${what}`);
      if (!Number.isFinite(ms))
        unserved.push(
          `${done.filter((d) => !Number.isFinite(d)).length} users not served within ${within} ms, e.g. ${what}`,
        );
    }
    return Number.isFinite(ms) ? ms : -1;
  }

  const health = async (i: number) =>
    (await fetch(`${c.instances[i]!.url}/healthz`, { signal: AbortSignal.timeout(2000) })).json() as Promise<any>;
  const live = () =>
    c.instances
      .map((x, i) => (x && x.proc.exitCode === null && x.proc.signalCode === null ? i : -1))
      .filter((i) => i >= 0);
  /** Shards whose lease row still names this process (expired or not: until another instance claims them). */
  const shardsHeld = async (pid: number) =>
    Number(
      (
        await sql<{
          n: string;
        }>`select count(*)::text as n from engine_shards where owner like ${`%:${pid}:%`}`.execute(c.db.db)
      ).rows[0]!.n,
    );

  /** For a failure's report: a position's events and every log line of every instance about its orders. */
  async function history(posKey: string): Promise<string> {
    const [accountId, symbol] = posKey.split(":");
    const evs = await sql<{
      at: Date;
      kind: string;
      reason: string;
      actor: string;
      data: unknown;
    }>`select at, kind, reason, actor, data from events where account_id = ${Number(accountId)} and symbol = ${symbol} order by id`.execute(
      c.db.db,
    );
    const lines: [number, string][] = evs.rows.map((e) => [
      new Date(e.at).getTime(),
      `db    ${e.kind} [${e.actor}] ${e.reason} ${JSON.stringify(e.data)}`,
    ]);
    for (const inst of c.started) {
      for (const l of inst.logs) {
        const text = JSON.stringify(l);
        const about = text.includes(`"${posKey}:`) || text.includes(`"account_id":${accountId},"symbol":"${symbol}"`);
        if (
          !about &&
          !/^(engine\.(shards_|dropped|adopted|persist_failed|step_refused|release_held|stopped)|lease\.|feed\.(leader|follower)|server\.(signal|stopped))/.test(
            String(l.event),
          )
        )
          continue;
        lines.push([Date.parse(String(l.ts)), `#${inst.index}/${inst.proc.pid} ${text}`]);
      }
    }
    for (const d of disturbances)
      lines.push([d.from, `CHAOS ${d.kind} #${d.index}/${d.pid} until ${new Date(d.to).toISOString()}`]);
    const t = lines.filter(([, s]) => !s.startsWith("CHAOS")).map(([t]) => t);
    const lo = Math.min(...t) - 2000,
      hi = Math.max(...t) + 2000;
    return lines
      .filter(([at]) => at >= lo && at <= hi)
      .sort((x, y) => x[0] - y[0])
      .map(([at, s]) => `  ${new Date(at).toISOString()} ${s}`)
      .join("\n");
  }

  async function leaderIndex(): Promise<number | undefined> {
    for (const i of live()) {
      const h = await health(i).catch(() => undefined);
      if (h?.feed?.role === "leader") return i;
    }
    return undefined;
  }

  /** All three up, each running some shards, every user served (else noted, and the rounds go on). */
  async function settledCluster(round: number): Promise<void> {
    await until(
      async () => {
        const hs = await Promise.all([0, 1, 2].map((i) => health(i).catch(() => undefined)));
        return hs.every((h) => h?.instance?.shards > 0);
      },
      15_000,
      "every instance to run some shards",
    ).catch(() => unserved.push(`round ${round + 1}: not every instance ran shards 15 s after the round`));
    await allServed(Date.now(), 15_000);
  }

  beforeAll(async () => {
    t0 = Date.now();
    console.log(`cluster-chaos: CHAOS_SEED=${SEED}, ${ROUNDS} rounds`);
    recorder = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      async fetch(req) {
        hooks.push({ key: req.headers.get("idempotency-key"), body: await req.text(), at: Date.now() });
        // Now and then a slow broker: more orders are in flight when an instance dies.
        if (Math.random() < 0.05) await Bun.sleep(100 + Math.random() * 400);
        return new Response(JSON.stringify({ ok: true }), { headers: { "content-type": "application/json" } });
      },
    });
    nats = await clusterNats("cluster-chaos");
    c = await TestCluster.create({
      ARCHIVE_BACKFILL_DAYS: "1",
      LEASE_TTL_MS: String(LEASE_MS),
      NATS_URL: nats.url,
    });
    for (let i = 0; i < INSTANCES; i++) await c.start(i);
    proxy = await startProxy({ backends: c.instances.map((x) => `127.0.0.1:${x!.port}`), tls: false });
    const created = await c.users(Array.from({ length: USERS }, (_, i) => `trader${String(i).padStart(2, "0")}`));
    for (const [i, u] of created.entries()) {
      const accounts = Object.fromEntries(
        SYMBOLS.map((s, j) => [s, (i + j) % 2 === 0 ? "live" : "paper"]),
      ) as Trader["accounts"];
      traders.push({ ...u, accounts, browser: new BrowserSocket(proxy.wsUrl, u.token) });
    }
    await until(
      async () => {
        const hs = await Promise.all([0, 1, 2].map((i) => health(i)));
        return (
          hs.every((h) => h.instance.shards >= 18) &&
          hs.some((h) => h.feed.role === "leader" && h.feed.state === "live")
        );
      },
      20_000,
      "the shards to be shared and the feed to be live",
    );

    ownerPoll = setInterval(() => {
      void sql<{
        shard: number;
        owner: string | null;
        live: boolean;
      }>`select shard, owner, expires_at > now() as live from engine_shards`
        .execute(c.db.db)
        .then(
          (r) => {
            const at = Date.now();
            for (const row of r.rows) {
              const pid = row.owner && row.live ? Number(row.owner.split(":")[1]) : null;
              const list = owners.get(row.shard) ?? (owners.set(row.shard, []), owners.get(row.shard)!);
              if (list.at(-1)?.[1] !== pid) list.push([at, pid]);
            }
          },
          () => {},
        );
    }, 100);

    // Every live account sends its orders to the recorder.
    for (const u of traders) {
      const r = await command(u, "execution", "live", "MES", "PUT", "/api/v1/accounts/live/execution", {
        route: "webhook",
        webhookUrl: `http://127.0.0.1:${recorder.port}/hook/${u.name}`,
      });
      expect(`${r.outcome} ${r.statuses.join(",")} ${r.message ?? ""}`).toStartWith("acked");
    }
    for (const u of traders) u.browser.connect();
    await until(() => traders.every((u) => u.browser.intervals.length > 0), 15_000, "every browser's socket");
    // 200 positions: 4 symbols × 50 users, each with a ladder and a stop.
    const opens = traders.flatMap((u) => SYMBOLS.map((s) => [u, s] as const));
    for (let i = 0; i < opens.length; i += 25) {
      const recs = await Promise.all(opens.slice(i, i + 25).map(([u, s]) => open(u, s)));
      expect(
        recs
          .filter((r) => r.outcome !== "acked")
          .map((r) => `${r.user.name} ${r.symbol}: ${r.statuses.join(",")} ${r.message ?? ""}`),
      ).toEqual([]);
    }
    const openNow = Number(
      (await sql<{ n: string }>`select count(*)::text as n from engine_positions where qty > 0`.execute(c.db.db))
        .rows[0]!.n,
    );
    console.log(
      `cluster-chaos: set-up in ${Date.now() - t0} ms; ${openNow} positions open after the first 200 brackets`,
    );
  }, 180_000);

  afterAll(async () => {
    trading = false;
    // Every instance's log (restarts included) and nginx's error log, for a look after a failure.
    const dir = join(import.meta.dir, "../../test-artifacts/cluster-chaos");
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    for (const [n, inst] of (c?.started ?? []).entries())
      writeFileSync(
        join(dir, `${String(n).padStart(2, "0")}-instance${inst.index}-pid${inst.proc.pid}.jsonl`),
        inst.logs.map((l) => JSON.stringify(l)).join("\n") + "\n" + inst.stderr.join(""),
      );
    if (proxy)
      for (const f of ["error.log", "access.log"])
        if (existsSync(join(proxy.dir, f))) copyFileSync(join(proxy.dir, f), join(dir, `nginx-${f}`));
    writeFileSync(
      join(dir, "chaos.json"),
      JSON.stringify({ seed: SEED, rounds: ROUNDS, disturbances, failovers, stuckTakeovers }, null, 1),
    );
    clearInterval(ownerPoll);
    for (const u of traders) u.browser.close();
    await proxy?.stop();
    recorder?.stop(true);
    await c?.stop();
    await nats?.stop();
  });

  /** The chaos itself: per round a SIGKILL (and restart) and a SIGSTOP past the lease, with what each took. */
  async function rounds(): Promise<void> {
    for (let round = 0; round < ROUNDS; round++) {
      const up = live();
      expect(up.length).toBe(INSTANCES);
      const leader = await leaderIndex();
      const killLeader = round % 2 === 0 && leader !== undefined;
      const victim = killLeader ? leader! : pick(leader === undefined ? up : up.filter((i) => i !== leader));
      const pid = c.instances[victim]!.proc.pid;
      const kill = Date.now();
      await c.kill(victim);
      disturbances.push({ pid, index: victim, kind: "kill", from: kill, to: kill });
      const feedMoved = killLeader
        ? until(async () => (await leaderIndex()) !== undefined, 15_000, "a new feed leader").then(
            () => Date.now() - kill,
            () => (unserved.push(`round ${round + 1}: no feed leader 15 s after the SIGKILL`), -1),
          )
        : Promise.resolve(undefined);
      const claimed = until(
        async () => (await shardsHeld(pid)) === 0,
        15_000,
        "the killed instance's shards to be claimed",
      ).then(
        () => Date.now() - kill,
        () => (unserved.push(`round ${round + 1}: the killed instance's shards not all claimed within 15 s`), -1),
      );
      const servedMs = await allServed(kill);
      if (servedMs > MAX_FAILOVER_MS)
        slowFailovers.push(
          `round ${round + 1}: every user served ${servedMs} ms after the SIGKILL of instance ${victim} (at most ${MAX_FAILOVER_MS})`,
        );
      const claimedMs = await claimed;
      const feedMs = await feedMoved;

      // The killed one comes back while another is paused past its lease.
      const restarting = c.start(victim);
      const paused = pick(live().filter((i) => i !== victim));
      const ppid = c.instances[paused]!.proc.pid;
      const stop = Date.now();
      c.signal(paused, "SIGSTOP");
      // Past its lease the others must have taken all of its shards before it runs again.
      const takeover = until(
        async () => (await shardsHeld(ppid)) === 0,
        PAUSE_MS,
        "the paused instance's shards to be taken",
      ).then(
        () => Date.now() - stop,
        () => -1,
      );
      await Bun.sleep(PAUSE_MS - 200);
      const held = await shardsHeld(ppid);
      if (held > 0) {
        // Evidence for the report: what keeps them (an engine write of the paused instance left open?).
        const open = await sql<{
          state: string;
          age: number;
          query: string;
          locks: string;
        }>`select a.state, round(extract(epoch from now() - a.xact_start)::numeric, 2)::float8 as age, left(a.query, 60) as query,
            (select string_agg(distinct l.mode || ' on ' || c.relname, ', ') from pg_locks l join pg_class c on c.oid = l.relation where l.pid = a.pid and l.granted and c.relname in ('engine_shards', 'engine_positions')) as locks
          from pg_stat_activity a where a.datname = current_database() and a.state like 'idle in transaction%' and a.xact_start < now() - interval '1 second'`.execute(
          c.db.db,
        );
        stuckTakeovers.push(
          `round ${round + 1}: ${PAUSE_MS - 200} ms into the SIGSTOP instance ${paused} still holds ${held} shard(s); transactions open > 1 s: ${JSON.stringify(open.rows)}`,
        );
      }
      await Bun.sleep(200);
      c.signal(paused, "SIGCONT");
      const cont = Date.now();
      disturbances.push({ pid: ppid, index: paused, kind: "stop", from: stop, to: cont });
      const resumed = allServed(cont);
      const takeoverMs = await takeover;
      const resumedMs = await resumed;
      await restarting;
      await settledCluster(round);
      lastRoundEnd = Date.now();
      failovers.push({
        round,
        killed: victim,
        leader: killLeader,
        servedMs,
        claimedMs,
        ...(feedMs !== undefined ? { feedMs } : {}),
        paused,
        takeoverMs,
        resumedMs,
      });
      console.log(
        `cluster-chaos: round ${round + 1}/${ROUNDS}: SIGKILL instance ${victim}${killLeader ? " (feed leader)" : ""} → all ${USERS} users served in ${servedMs} ms, shards claimed in ${claimedMs} ms${feedMs !== undefined ? `, feed moved in ${feedMs} ms` : ""}; SIGSTOP instance ${paused} ${PAUSE_MS} ms → shards taken in ${takeoverMs} ms, all served ${resumedMs} ms after SIGCONT`,
      );
    }
    // The feed runs on a few seconds after the last round, commands still coming.
    await Bun.sleep(3000);
  }

  /** One line per measure, for the README; printed even when a round failed. */
  function summary(): void {
    const served = failovers.map((f) => f.servedMs);
    console.log(
      `cluster-chaos: failover ms per round (SIGKILL → every user served through nginx, lease ${LEASE_MS} ms): ${JSON.stringify(served)}; ` +
        `median ${median(served)}, max ${Math.max(...served)}; shards claimed ${JSON.stringify(failovers.map((f) => f.claimedMs))}; ` +
        `feed leader moved ${JSON.stringify(failovers.filter((f) => f.feedMs !== undefined).map((f) => f.feedMs))}; ` +
        `SIGSTOP ${PAUSE_MS} ms → shards taken ${JSON.stringify(failovers.map((f) => f.takeoverMs))}, served after SIGCONT ${JSON.stringify(failovers.map((f) => f.resumedMs))}`,
    );
    const tally = (o: Outcome) => commands.filter((r) => r.outcome === o).length;
    console.log(
      `cluster-chaos: ${commands.length} commands: ${tally("acked")} acknowledged, ${tally("refused")} refused (4xx), ${tally("unknown")} without an answer, ${tally("error")} errors; ` +
        `${commands.filter((r) => r.statuses.length > 1).length} retried (${commands.reduce((n, r) => n + r.statuses.filter((s) => s !== 200).length, 0)} 0/5xx answers)`,
    );
    const refusals = new Map<string, number>();
    for (const r of commands)
      if (r.outcome === "refused")
        refusals.set(
          `${r.statuses.at(-1)} ${(r.message ?? "").replace(/[\d.]+/g, "#").slice(0, 70)}`,
          (refusals.get(`${r.statuses.at(-1)} ${(r.message ?? "").replace(/[\d.]+/g, "#").slice(0, 70)}`) ?? 0) + 1,
        );
    console.log(
      `cluster-chaos: refusals: ${[...refusals]
        .sort((a, b) => b[1] - a[1])
        .map(([m, n]) => `${n}× ${m}`)
        .join("; ")}`,
    );
  }

  test(`${ROUNDS} rounds of SIGKILL (the feed leader every other round) and SIGSTOP past the lease, under a steady stream of commands`, async () => {
    startTrading();
    await Bun.sleep(2000);
    try {
      await rounds();
    } finally {
      await stopTrading();
      summary();
    }
    // One more change of every position with every instance up (open a flat one, exit an open
    // one, as the position is by the API): whatever a browser missed while it was reconnecting,
    // its final state must reach it.
    const finals = await Promise.all(
      traders.flatMap((u) =>
        SYMBOLS.map(async (s) => {
          const acct = u.accounts[s];
          const end = Date.now() + 15_000;
          while (Date.now() < end) {
            const res = await api(u, "GET", posPath(acct, s)).catch(() => undefined);
            const p =
              res?.status === 200
                ? ((await res.json()) as { position: { qty: number; closing: unknown } | null }).position
                : undefined;
            if (p && !p.closing) {
              const r =
                p.qty > 0
                  ? await command(u, "exit-all", acct, s, "POST", `${posPath(acct, s)}/exit`, {})
                  : await open(u, s);
              if (r.outcome === "acked") return r;
            }
            await Bun.sleep(300);
          }
          const id = (
            await sql<{ id: number }>`select id from accounts where user_id = ${u.id} and name = ${acct}`.execute(
              c.db.db,
            )
          ).rows[0]!.id;
          console.log(
            `cluster-chaos: no final change of ${u.name} ${acct} ${s} within 15 s:\n${await history(`${id}:${s}`)}`,
          );
          return undefined;
        }),
      ),
    );
    expect(failovers.length).toBe(ROUNDS);
    for (const s of stuckTakeovers) console.log(`cluster-chaos: ${s}`);
    // No 500s; every command answered in the end; a paused instance's accounts move within the lease, whatever it was doing when it stopped.
    expect({
      errors: commands
        .filter((r) => r.outcome === "error")
        .map((r) => `${r.kind} ${r.user.name} ${r.symbol}: ${r.statuses.join(",")} ${r.message}`),
      unanswered: commands
        .filter((r) => r.outcome === "unknown")
        .map((r) => `${r.kind} ${r.user.name} ${r.symbol}: ${r.statuses.join(",")}`),
      stuckTakeovers,
      unserved,
      slowFailovers,
      // The account exists and only moved to another instance: such an answer must be a 503 to retry, never a final refusal.
      wrongRefusals: commands
        .filter((r) => r.outcome === "refused" && /unknown account|replay is no longer running/.test(r.message ?? ""))
        .map((r) => `${r.kind} ${r.user.name} ${r.account} ${r.symbol}: ${r.statuses.join(",")} ${r.message}`),
      positionsWithoutAFinalChange: finals.filter((r) => r === undefined).length,
    }).toEqual({
      errors: [],
      unanswered: [],
      stuckTakeovers: [],
      unserved: [],
      slowFailovers: [],
      wrongRefusals: [],
      positionsWithoutAFinalChange: 0,
    });
  }, 900_000);

  test("every browser has each of its positions' final state, and heard from the cluster after the last round", async () => {
    const since = lastRoundEnd;
    const lagging: string[] = [];
    await until(
      async () => {
        const rows = await sql<{ account: string; user_id: number; symbol: string; qty: number; version: number }>`
        select a.name as account, a.user_id, p.symbol, p.qty, p.version from engine_positions p join accounts a on a.id = p.account_id`.execute(
          c.db.db,
        );
        lagging.length = 0;
        for (const r of rows.rows) {
          const u = traders.find((t) => t.id === r.user_id)!;
          const seen = u.browser.state(r.account, r.symbol);
          if (!seen || seen.qty !== r.qty || seen.version < r.version)
            lagging.push(
              `${u.name} ${r.account} ${r.symbol}: db qty ${r.qty} v${r.version}, browser ${seen ? `qty ${seen.qty} v${seen.version}` : "nothing"}`,
            );
        }
        return lagging.length === 0;
      },
      10_000,
      "the browsers to show the final positions",
    ).catch(() => {});
    expect(lagging).toEqual([]);
    expect(traders.filter((u) => !u.browser.messages.some((m) => m.at > since)).map((u) => u.name)).toEqual([]);
  }, 30_000);

  test("nothing is left working: every order older than 5 s was answered", async () => {
    const stuck: string[] = [];
    await until(
      async () => {
        const rows = await sql<{ id: string; purpose: string; status: string; age: number }>`
        select id, purpose, status, extract(epoch from now() - created_at)::float8 as age from engine_orders
        where status = 'working' and created_at < now() - interval '5 seconds'`.execute(c.db.db);
        stuck.length = 0;
        stuck.push(...rows.rows.map((r) => `${r.id} (${r.purpose}, ${Math.round(r.age)} s)`));
        return stuck.length === 0;
      },
      8_000,
      "no stuck orders",
    ).catch(() => {});
    for (const o of stuck.slice(0, 3))
      console.log(`cluster-chaos: stuck order ${o}:\n${await history(o.split(":").slice(0, 2).join(":"))}`);
    expect(stuck).toEqual([]);
  }, 30_000);

  test("every browser received every change of its positions committed while it was connected (owner not being killed or paused)", async () => {
    const accounts = await sql<{
      id: number;
      name: string;
      user_id: number;
    }>`select id, name, user_id from accounts`.execute(c.db.db);
    const acct = new Map(accounts.rows.map((a) => [a.id, a]));
    const events = await sql<{
      account_id: number;
      symbol: string;
      kind: string;
      reason: string;
      data: { ts?: number };
      at: Date;
    }>`
      select account_id, symbol, kind, reason, data, at from events where account_id is not null and symbol is not null and at >= ${new Date(t0)}`.execute(
      c.db.db,
    );
    const received = new Map<number, Map<string, number>>();
    for (const u of traders) {
      const m = new Map<string, number>();
      for (const msg of u.browser.messages)
        for (const e of msg.events) {
          const k = `${msg.account}|${msg.symbol}|${e.kind}|${e.ts}|${e.reason}`;
          m.set(k, (m.get(k) ?? 0) + 1);
        }
      received.set(u.id, m);
    }
    const pids = new Map(c.started.map((x) => [x.proc.pid, x.index]));
    const ownersAround = (shard: number, at: number): number[] => {
      const list = owners.get(shard) ?? [];
      const out = new Set<number>();
      let before: number | null | undefined;
      for (const [t, pid] of list) {
        if (t <= at - 400) before = pid;
        else if (t <= at + 400 && pid !== null) out.add(pid);
      }
      if (before !== undefined && before !== null) out.add(before);
      return [...out];
    };
    const disturbed = (pid: number, at: number) =>
      disturbances.some((d) => d.pid === pid && at >= d.from - 1000 && at <= d.to + 3000);
    // What was committed in the last moments may still be on its way.
    const cutoff = Date.now() - 3000;
    let checked = 0;
    let excusedSocket = 0;
    let excusedOwner = 0;
    const missingEvents: string[] = [];
    for (const e of events.rows) {
      const a = acct.get(e.account_id);
      const u = a && traders.find((t) => t.id === a.user_id);
      if (!a || !u) continue;
      const at = Math.max(new Date(e.at).getTime(), e.data?.ts ?? 0);
      if (at > cutoff) continue;
      const connected = u.browser.intervals.some(
        (i) => i.open <= at - 300 && (i.close === undefined || i.close >= at + 4000),
      );
      if (!connected) {
        excusedSocket++;
        continue;
      }
      if (ownersAround(u.id % 64, at).some((pid) => disturbed(pid, at))) {
        excusedOwner++;
        continue;
      }
      checked++;
      const k = `${a.name}|${e.symbol}|${e.kind}|${e.data?.ts}|${e.reason}`;
      const m = received.get(u.id)!;
      const n = m.get(k) ?? 0;
      if (n > 0) m.set(k, n - 1);
      else
        missingEvents.push(
          `${u.name} ${a.name} ${e.symbol} ${e.kind} at ${new Date(at).toISOString()} (owner ${ownersAround(
            u.id % 64,
            at,
          )
            .map((p) => `#${pids.get(p)}`)
            .join("/")}): ${e.reason}`,
        );
    }
    console.log(
      `cluster-chaos: browser delivery: ${checked} changes checked, ${missingEvents.length} missing; ${excusedOwner} left out (their owner was being killed or paused), ${excusedSocket} (the browser was reconnecting); ` +
        `${traders.reduce((n, u) => n + u.browser.intervals.length - 1, 0)} reconnects`,
    );
    expect(missingEvents.slice(0, 20)).toEqual([]);
  }, 60_000);

  test("after a clean stop of every instance: take-profits and stops filled exactly once, nothing through zero, no duplicate exit", async () => {
    const stoppedAt = Date.now();
    const codes = await Promise.all([0, 1, 2].map((i) => c.terminate(i)));
    expect(codes).toEqual([0, 0, 0]);
    const db = c.db.db;
    // A take-profit level is filled by one order at most; a trade's stop by one order at most.
    const tpTwice = await sql<{
      level: string;
      n: number;
    }>`select "order"->>'levelId' as level, count(*)::int as n from engine_orders
      where purpose = 'tp' and status = 'filled' group by 1 having count(*) > 1`.execute(db);
    expect(tpTwice.rows).toEqual([]);
    const stopTwice = await sql<{
      trade: string;
      n: number;
    }>`select split_part(id, ':stop:', 1) as trade, count(*)::int as n from engine_orders
      where purpose = 'stop' and status = 'filled' group by 1 having count(*) > 1`.execute(db);
    expect(stopTwice.rows).toEqual([]);
    // Two exits never both fire: one closing order (stop, timer, exit all) filled per trade.
    const closingTwice = await sql<{
      trade: string;
      n: number;
    }>`select regexp_replace(id, ':(stop|timer|exit):o\\d+$', '') as trade, count(*)::int as n from engine_orders
      where status = 'filled' and id ~ ':t\\d+:(stop|timer|exit):o\\d+$' group by 1 having count(*) > 1`.execute(db);
    expect(closingTwice.rows).toEqual([]);
    const tpFilledTwice = await sql<{
      trade_id: string;
      price: string;
      n: number;
    }>`select trade_id, data->>'levelPrice' as price, count(*)::int as n from events
      where kind = 'tp.filled' group by 1, 2 having count(*) > 1`.execute(db);
    expect(tpFilledTwice.rows).toEqual([]);
    /** Trades with more than one event of a kind. */
    const twice = (kind: string) =>
      sql<{
        trade_id: string;
        n: number;
      }>`select trade_id, count(*)::int as n from events where kind = ${kind} group by 1 having count(*) > 1`.execute(
        db,
      );
    expect((await twice("stop.filled")).rows).toEqual([]);
    // The old defect: two trade.closed events for one trade.
    const closedTwice = await twice("trade.closed");
    const closedEvents = Number(
      (
        await sql<{
          n: string;
        }>`select count(distinct trade_id)::text as n from events where kind = 'trade.closed'`.execute(db)
      ).rows[0]!.n,
    );
    const closedRows = await sql<{
      trade_id: string;
      qty: number;
      fills: { orderId: string; qty: number; purpose: string; closes?: boolean }[];
    }>`select trade_id, qty, fills from closed_trades`.execute(db);
    console.log(
      `cluster-chaos: ${closedRows.rows.length} trades closed, ${closedTwice.rows.length} with two trade.closed events`,
    );
    expect(closedTwice.rows).toEqual([]);
    expect(closedEvents).toBe(closedRows.rows.length);
    // No exit went through zero: nothing an exit filled opened the other side; every closed trade exited exactly what it entered.
    const lateFills = await sql<{
      trade_id: string;
      reason: string;
    }>`select trade_id, reason from events where kind = 'order.late_fill'`.execute(db);
    for (const f of lateFills.rows.slice(0, 3))
      console.log(
        `cluster-chaos: through zero — ${f.trade_id}:\n${await history(f.trade_id.split(":").slice(0, 2).join(":"))}`,
      );
    expect(lateFills.rows).toEqual([]);
    const exits = new Set(["tp", "stop", "exit", "timer"]);
    const overExited: string[] = [];
    const fillsOf = new Map<string, number>();
    const tradesOf = new Map<string, Set<string>>();
    for (const t of closedRows.rows) {
      const closed = t.fills.filter((f) => f.closes ?? exits.has(f.purpose)).reduce((n, f) => n + f.qty, 0);
      if (closed !== t.qty) overExited.push(`${t.trade_id}: entered ${t.qty}, exited ${closed}`);
      for (const f of t.fills) {
        if (exits.has(f.purpose) && f.closes === false)
          overExited.push(`${t.trade_id}: ${f.purpose} order ${f.orderId} opened ${f.qty}`);
        fillsOf.set(f.orderId, (fillsOf.get(f.orderId) ?? 0) + f.qty);
        if (exits.has(f.purpose))
          (tradesOf.get(f.orderId) ?? (tradesOf.set(f.orderId, new Set()), tradesOf.get(f.orderId)!)).add(t.trade_id);
      }
    }
    expect(overExited).toEqual([]);
    const positions = await sql<{
      key: string;
      qty: number;
      state: {
        qty: number;
        side: string;
        entryQty: number;
        exitQty: number;
        fills: { orderId: string; qty: number; purpose: string }[];
        recentCommands?: ([string, number] | string)[];
      };
    }>`
      select key, qty, state from engine_positions`.execute(db);
    for (const p of positions.rows) {
      expect(p.qty).toBeGreaterThanOrEqual(0);
      expect(p.state.qty).toBe(p.qty);
      if (p.qty > 0) {
        expect(p.state.exitQty).toBeLessThan(p.state.entryQty);
        for (const f of p.state.fills) fillsOf.set(f.orderId, (fillsOf.get(f.orderId) ?? 0) + f.qty);
      }
    }
    // Each filled order's contracts were applied once: what the trades and open positions hold of it is what its row says.
    const orders = await sql<{
      id: string;
      purpose: string;
      status: string;
      qty: number;
      filled: number;
      created_at: Date;
    }>`select id, purpose, status, qty, filled, created_at from engine_orders`.execute(db);
    const wrong: string[] = [];
    for (const o of orders.rows) {
      // Only what was sent in the last moments before the stop may still wait for its answer (the next start re-sends it).
      if (
        o.status !== "filled" &&
        o.status !== "cancelled" &&
        !(o.status === "working" && new Date(o.created_at).getTime() > stoppedAt - 5000)
      )
        wrong.push(`${o.id} ${o.purpose}: ${o.status}`);
      if (o.status === "filled" && (fillsOf.get(o.id) ?? 0) !== o.filled)
        wrong.push(`${o.id} ${o.purpose}: row filled ${o.filled}, applied ${fillsOf.get(o.id) ?? 0}`);
      if ((tradesOf.get(o.id)?.size ?? 0) > 1)
        wrong.push(`${o.id} ${o.purpose}: in trades ${[...tradesOf.get(o.id)!].join(", ")}`);
    }
    const byPurpose = (p: string) => orders.rows.filter((o) => o.purpose === p && o.status === "filled").length;
    console.log(
      `cluster-chaos: ${orders.rows.length} orders (${byPurpose("entry")} entries, ${byPurpose("tp")} take-profits, ${byPurpose("stop")} stops, ${byPurpose("exit")} exits filled; ${orders.rows.filter((o) => o.status === "cancelled").length} cancelled)`,
    );
    expect(wrong.slice(0, 20)).toEqual([]);
    expect(byPurpose("tp")).toBeGreaterThan(ROUNDS * 10);
    expect(byPurpose("stop")).toBeGreaterThan(ROUNDS * 2);
  }, 60_000);

  test("no order id reached the broker twice with different contents; every webhook order reached it", async () => {
    const db = c.db.db;
    const byKey = new Map<string, Set<string>>();
    const sends = new Map<string, number>();
    for (const h of hooks) {
      expect(h.key).toBeTruthy();
      (byKey.get(h.key!) ?? (byKey.set(h.key!, new Set()), byKey.get(h.key!)!)).add(h.body);
      sends.set(h.key!, (sends.get(h.key!) ?? 0) + 1);
      expect(JSON.parse(h.body).extras.orderId).toBe(h.key);
    }
    const differing = [...byKey]
      .filter(([, bodies]) => bodies.size > 1)
      .map(([k, bodies]) => `${k}: ${[...bodies].join(" ≠ ")}`);
    const live = await sql<{
      id: string;
      status: string;
    }>`select o.id, o.status from engine_orders o join accounts a on a.id = o.account_id where a.kind = 'live'`.execute(
      db,
    );
    const ids = new Set(live.rows.map((r) => r.id));
    const phantom = [...byKey.keys()].filter((k) => !ids.has(k));
    const unsent = live.rows.filter((r) => r.status === "filled" && !byKey.has(r.id)).map((r) => r.id);
    const paper = await sql<{
      n: string;
    }>`select count(*)::text as n from engine_orders o join accounts a on a.id = o.account_id where a.kind = 'paper'`.execute(
      db,
    );
    console.log(
      `cluster-chaos: webhook recorder: ${hooks.length} posts, ${byKey.size} order ids, ${[...sends.values()].filter((n) => n > 1).length} sent more than once (same contents: re-sent after a failover), ${differing.length} with different contents; ${paper.rows[0]!.n} paper orders`,
    );
    expect(differing).toEqual([]);
    expect(phantom).toEqual([]);
    expect(unsent).toEqual([]);
    expect(byKey.size).toBeGreaterThan(ROUNDS * 10);
  }, 30_000);

  test("every acknowledged command is in the database exactly once", async () => {
    const db = c.db.db;
    const positions = await sql<{
      account_id: number;
      symbol: string;
      state: { recentCommands?: ([string, number] | string)[] };
    }>`select account_id, symbol, state from engine_positions`.execute(db);
    const accounts = await sql<{
      id: number;
      name: string;
      user_id: number;
    }>`select id, name, user_id from accounts`.execute(db);
    const idOf = new Map(accounts.rows.map((a) => [`${a.user_id}|${a.name}`, a.id]));
    const keys = new Set<string>();
    for (const p of positions.rows)
      for (const k of p.state.recentCommands ?? [])
        keys.add(`${p.account_id}|${p.symbol}|${typeof k === "string" ? k : k[0]}`);
    const lost: string[] = [];
    for (const r of commands) {
      if (r.outcome !== "acked" || r.kind === "execution") continue;
      const accountId = idOf.get(`${r.user.id}|${r.account}`);
      if (!keys.has(`${accountId}|${r.symbol}|${r.user.id}:${r.key}`))
        lost.push(`${r.kind} ${r.user.name} ${r.account} ${r.symbol} key ${r.key} (${r.statuses.join(",")})`);
    }
    expect(lost).toEqual([]);
    // Applied once: the token's own events per position and kind match the acknowledged commands one for one.
    const events = await sql<{
      account_id: number;
      symbol: string;
      kind: string;
      n: number;
    }>`select account_id, symbol, kind, count(*)::int as n from events
      where actor_kind = 'token' and symbol is not null group by 1, 2, 3`.execute(db);
    // A partial exit of everything left is an exit all.
    const kindOf: Record<string, string> = {
      order: "order.submitted",
      "exit-all": "exit",
      "exit-part": "exit",
      "stop-move": "stop.moved",
      "stop-set": "stop.set",
    };
    const expected = new Map<string, number>();
    for (const r of commands) {
      if (r.outcome !== "acked" || !kindOf[r.kind]) continue;
      const k = `${idOf.get(`${r.user.id}|${r.account}`)}|${r.symbol}|${kindOf[r.kind]}`;
      expected.set(k, (expected.get(k) ?? 0) + 1);
    }
    const actual = new Map<string, number>();
    for (const e of events.rows) {
      const k = `${e.account_id}|${e.symbol}|${e.kind === "exit.triggered" || e.kind === "exit.submitted" ? "exit" : e.kind}`;
      actual.set(k, (actual.get(k) ?? 0) + e.n);
    }
    const mismatched = [...new Set([...expected.keys(), ...actual.keys()])]
      .filter((k) => (expected.get(k) ?? 0) !== (actual.get(k) ?? 0))
      .map((k) => `${k}: acknowledged ${expected.get(k) ?? 0}, applied ${actual.get(k) ?? 0}`);
    if (mismatched.length) {
      const [accountId, symbol] = mismatched[0]!.split("|");
      const acc = accounts.rows.find((x) => x.id === Number(accountId))!;
      console.log(
        `cluster-chaos: commands of ${mismatched[0]}:\n${commands
          .filter((r) => r.user.id === acc.user_id && r.account === acc.name && r.symbol === symbol)
          .map(
            (r) =>
              `  ${new Date(r.startedAt).toISOString()} ${r.kind} ${r.key} ${r.outcome} ${r.statuses.join(",")} ${r.message ?? ""}`,
          )
          .join("\n")}`,
      );
      const evs = await sql<{
        at: Date;
        kind: string;
        reason: string;
        actor: string;
      }>`select at, kind, reason, actor from events where account_id = ${Number(accountId)} and symbol = ${symbol} order by id`.execute(
        db,
      );
      console.log(
        evs.rows.map((e) => `  ${new Date(e.at).toISOString()} ${e.kind} [${e.actor}] ${e.reason}`).join("\n"),
      );
    }
    expect(mismatched.slice(0, 20)).toEqual([]);
  }, 30_000);
});

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : 0;
}
