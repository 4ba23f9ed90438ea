import type { ReplaySession } from "../replay/replay-session";
import { tradesDbn, type TapePrint } from "../replay/test-tape";
import { fixedFromNumber, formatFixed, parseFixed } from "../shared/fixed-point";
import type { ClosedTrade, Fill } from "../trading/engine/types";
import { addUser, request, tokenClient, type Client, type Harness } from "../web/test-harness";
import { durationMs, type PositionExpect, type Scenario, type Step } from "./format";

/** Where each step sits on the tape: prints get their time, waits their target. */
interface Planned {
  step: Step;
  /** Replay time after the step (ms). */
  atMs: number;
  prints: TapePrint[];
}

/** Print times: the first at `start`, each next one `at`/`every` (default 1 s) after the previous print or wait. */
export function plan(s: Scenario): Planned[] {
  let t = Date.parse(s.start);
  let first = true;
  // The very first print is at `start` unless it says otherwise.
  const next = (at: string | undefined, every?: string) => {
    t += first ? (at ? durationMs(at) : 0) : durationMs(at ?? every ?? "1s");
    first = false;
    return t;
  };
  const price = (p: string) => Number(formatFixed(parseFixed(p)));
  return s.steps.map((step) => {
    const prints: TapePrint[] = [];
    if (step.kind === "print") prints.push({ symbol: s.symbol, tsMs: next(step.at), price: price(step.print) });
    else if (step.kind === "prints") {
      const list = step.prints.trim().split(/\s+/);
      for (let r = 0; r < (step.repeat ?? 1); r++) {
        list.forEach((p, i) => {
          prints.push({
            symbol: s.symbol,
            tsMs: next(r === 0 && i === 0 ? step.at : undefined, step.every),
            price: price(p),
          });
        });
      }
    } else if (step.kind === "wait") {
      first = false;
      t += durationMs(step.wait);
    }
    return { step, atMs: t, prints };
  });
}

const ROUTES: Record<string, [method: string, path: (st: Record<string, unknown>) => string]> = {
  order: ["POST", () => "/orders"],
  record: ["POST", () => "/record"],
  exit: ["POST", () => "/exit"],
  clear: ["DELETE", () => ""],
  convert: ["POST", () => "/stop/market"],
  ladder: ["PUT", () => "/ladder"],
  level: ["PATCH", (b) => `/ladder/${b.index}`],
  stop: ["PUT", () => "/stop"],
  moveStop: ["POST", () => "/stop/move"],
  timer: ["PUT", () => "/timer"],
};

const show = (v: unknown) => JSON.stringify(v);
const clock = (ms: number) => new Date(ms).toISOString().slice(11, 23);
/** A view's JSON number as an exact decimal string (the view rounds nothing: it divides by 1e9). */
const dec = (n: unknown) =>
  typeof n === "number" ? formatFixed(fixedFromNumber(n)) : n === null || n === undefined ? null : String(n);
const same = (want: string, got: unknown) => typeof got === "number" && fixedFromNumber(got) === parseFixed(want);

/** Which way a fill traded: closing fills go against the trade; entries say their side in the order's reason. */
function fillSide(f: Fill & { side?: string }, t: ClosedTrade): "buy" | "sell" {
  if (f.side === "buy" || f.side === "sell") return f.side;
  if (f.purpose === "entry") {
    const m = /^(buy|sell)\b/.exec(f.reason);
    if (m) return m[1] as "buy" | "sell";
  }
  if (f.purpose === "reverse") {
    const m = /into (long|short)/.exec(f.reason);
    if (m) return m[1] === "long" ? "buy" : "sell";
  }
  return t.side === "long" ? "sell" : "buy";
}

/** Problems with one position expectation, in words. */
function comparePosition(want: PositionExpect, view: Record<string, any> | null): string[] {
  const out: string[] = [];
  const v = view ?? {};
  const stop = v.stop ?? null;
  const check = (field: string, ok: boolean, expected: unknown, got: unknown) => {
    if (!ok) out.push(`${field}: expected ${show(expected)}, got ${show(got)}`);
  };
  if (want.qty !== undefined) check("qty", (v.qty ?? 0) === want.qty, want.qty, v.qty ?? 0);
  if (want.side !== undefined) check("side", (v.side ?? null) === want.side, want.side, v.side ?? null);
  if (want.avg !== undefined) check("avg", same(want.avg, v.avgEntry), want.avg, dec(v.avgEntry));
  if (want.stop !== undefined)
    check(
      "stop",
      want.stop === null ? stop === null : same(want.stop, stop?.price),
      want.stop,
      stop ? dec(stop.price) : null,
    );
  if (want.stopStatus !== undefined)
    check("stop status", stop?.status === want.stopStatus, want.stopStatus, stop?.status ?? null);
  if (want.trailing !== undefined)
    check("stop trailing", stop?.trailing === want.trailing, want.trailing, stop?.trailing ?? null);
  if (want.ladder) {
    const got = (v.ladder ?? []) as Record<string, any>[];
    const shown = got.map((l) => ({ price: dec(l.price), qty: l.qty, status: l.status, enabled: l.enabled }));
    const ok =
      got.length === want.ladder.length &&
      want.ladder.every((w, i) => {
        const l = got[i]!;
        return (
          (w.price === undefined || same(w.price, l.price)) &&
          (w.qty === undefined || w.qty === l.qty) &&
          (w.status === undefined || w.status === l.status) &&
          (w.enabled === undefined || w.enabled === l.enabled)
        );
      });
    check("ladder", ok, want.ladder, shown);
  }
  if (want.working) {
    // A position never traded (null) has nothing working.
    if (view && !Array.isArray(v.working))
      out.push(
        `working: expected ${show(want.working)}, but the position view has no "working" list${view ? "" : " (no position)"}`,
      );
    else {
      const got = (v.working ?? []) as Record<string, any>[];
      const ok =
        got.length === want.working.length &&
        want.working.every((w, i) => {
          const o = got[i]!;
          return (
            (w.purpose === undefined || w.purpose === o.purpose) &&
            (w.side === undefined || w.side === o.side) &&
            (w.qty === undefined || w.qty === o.qty) &&
            (w.type === undefined || w.type === o.type) &&
            (w.state === undefined || w.state === o.state) &&
            (w.limitPrice === undefined ||
              (w.limitPrice === null ? o.limitPrice == null : same(w.limitPrice, o.limitPrice)))
          );
        });
      check(
        "working",
        ok,
        want.working,
        got.map((o) => ({
          purpose: o.purpose,
          side: o.side,
          qty: o.qty,
          type: o.type,
          limitPrice: dec(o.limitPrice),
          state: o.state,
        })),
      );
    }
  }
  if (want.unprotected !== undefined) {
    if (view && !("unprotected" in v))
      out.push(`unprotected: expected ${want.unprotected}, but the position view has no "unprotected" field`);
    else check("unprotected", (v.unprotected != null) === want.unprotected, want.unprotected, v.unprotected ?? null);
  }
  if (want.closing !== undefined)
    check("closing", (v.closing?.purpose ?? null) === want.closing, want.closing, v.closing ?? null);
  return out;
}

let users = 0;

export class ScenarioFailure extends Error {
  override name = "ScenarioFailure";
}

/**
 * Plays one scenario as a user would: its tape uploaded as a DBN file, a replay of it, the
 * replay's account traded through the JSON API, one print per step; then compares what came out.
 * Throws ScenarioFailure listing every difference (step by step, then fills, trades, net).
 */
export async function runScenario(h: Harness, s: Scenario): Promise<void> {
  const planned = plan(s);
  const tape = planned.flatMap((p) => p.prints);
  // Usernames are at most 40 characters: a counter, not the scenario's name.
  const user = await addUser(h, `scenario${++users}`);
  const api: Client = await tokenClient(h, user.id);
  const call = (method: string, path: string, body?: unknown) => request(h, api, method, path, body);
  const problems: string[] = [];
  const fail = (msg: string) => new ScenarioFailure(`scenario ${s.name}:\n  ${[...problems, msg].join("\n  ")}`);

  const up = await h.fetch("/api/v1/replay-files", {
    method: "POST",
    headers: { ...api.headers, "x-file-name": `${s.name}.dbn` },
    body: new Blob([new Uint8Array(tradesDbn(tape))]),
  });
  if (up.status !== 200) throw fail(`upload of the tape answered ${up.status}: ${await up.text()}`);
  const created = await call("POST", "/api/v1/replays", { source: "file", fileId: (await up.json()).id });
  if (created.status !== 200) throw fail(`creating the replay answered ${created.status}: ${show(created.body)}`);
  const { id, account } = created.body as { id: number; account: string };
  const accountId = await h.ctx.trading.accountId(user.id, account);
  const session = h.ctx.replay.hostFor(accountId) as ReplaySession;
  const pos = `/api/v1/accounts/${account}/positions/${s.symbol}`;
  const control = (body: unknown) => call("POST", `/api/v1/replays/${id}/control`, body);
  let closed = false;
  try {
    if (s.commission !== undefined) {
      const r = await call("PUT", `/api/v1/accounts/${account}/execution`, { commission: s.commission });
      if (r.status !== 200) throw fail(`setting the commission answered ${r.status}: ${show(r.body)}`);
    }
    for (let i = 0; i < planned.length; i++) {
      const { step, atMs, prints } = planned[i]!;
      const { kind: _k, note: _n, ...shown } = step as Step & { note?: string };
      const where = `step ${i + 1} (${show(shown)}) at ${clock(atMs)}`;
      switch (step.kind) {
        case "print":
        case "prints":
          for (const p of prints) {
            const r = await control({ action: "step", unit: "record" });
            if (r.status !== 200)
              throw fail(
                `${where}: the print ${p.price} at ${clock(p.tsMs)} was not delivered (${r.status} ${show(r.body)})`,
              );
          }
          break;
        case "wait": {
          const r = await control({ action: "seek", toMs: atMs });
          if (r.status !== 200) throw fail(`${where}: seek answered ${r.status} ${show(r.body)}`);
          break;
        }
        case "feed": {
          const feed = (session as unknown as { feed?: (symbol: string, up: boolean) => unknown }).feed;
          if (typeof feed !== "function")
            throw fail(
              `${where}: ReplaySession has no feed(symbol, up) method yet (R7.1), so a feed outage cannot be played`,
            );
          await feed.call(session, s.symbol, step.feed === "up");
          await session.flush();
          break;
        }
        case "commission": {
          const r = await call("PUT", `/api/v1/accounts/${account}/execution`, { commission: step.commission });
          if (r.status !== 200) throw fail(`${where}: setting the commission answered ${r.status} ${show(r.body)}`);
          break;
        }
        case "expect": {
          if (step.expect.position) {
            const r = await call("GET", pos);
            const diffs =
              r.status === 200
                ? comparePosition(step.expect.position, r.body.position)
                : [`GET position answered ${r.status} ${show(r.body)}`];
            for (const d of diffs) problems.push(`${where}: ${d}`);
          }
          if (step.expect.events) {
            const r = await call("GET", `/api/v1/accounts/${account}/events?limit=1000`);
            const texts = ((r.body.events ?? []) as { kind: string; reason: string }[]).map((e) =>
              `${e.kind}: ${e.reason}`.toLowerCase(),
            );
            for (const want of step.expect.events) {
              if (!texts.some((t) => t.includes(want.toLowerCase())))
                problems.push(
                  `${where}: no event mentions "${want}"; events so far (oldest first):\n      ${texts.slice().reverse().join("\n      ")}`,
                );
            }
          }
          break;
        }
        default: {
          const [method, path] = ROUTES[step.kind]!;
          const { index: _i, ...body } = (step as Record<string, any>)[step.kind] as Record<string, unknown>;
          const r = await call(
            method,
            pos + path((step as Record<string, any>)[step.kind]),
            step.kind === "level" ? body : (step as Record<string, any>)[step.kind],
          );
          const refusal = "refused" in step ? step.refused : undefined;
          const ok = r.status >= 200 && r.status < 300;
          if (refusal) {
            const msg = String(r.body?.message ?? show(r.body));
            if (ok)
              throw fail(
                `${where}: expected a refusal${refusal.status ? ` (${refusal.status})` : ""}, but it was accepted`,
              );
            if (
              (refusal.status && r.status !== refusal.status) ||
              (refusal.message && !msg.toLowerCase().includes(refusal.message.toLowerCase())) ||
              r.status >= 500
            ) {
              problems.push(
                `${where}: expected a refusal ${refusal.status ?? "4xx"}${refusal.message ? ` saying "${refusal.message}"` : ""}, got ${r.status} "${msg}"`,
              );
            }
          } else if (!ok) {
            const hint = r.status === 404 && typeof r.body !== "object" ? " (is the route there?)" : "";
            throw fail(`${where}: refused with ${r.status}${hint}: ${show(r.body)}`);
          }
        }
      }
    }
    const c = await control({ action: "close" });
    closed = true;
    if (c.status !== 200) problems.push(`closing the replay answered ${c.status} ${show(c.body)}`);
  } finally {
    if (!closed) await control({ action: "close" }).catch(() => {});
  }
  compareResults(s, session.closed, problems);
  await compareStored(s, call, id, account, session.closed, problems);
  if (problems.length) throw new ScenarioFailure(`scenario ${s.name}:\n  ${problems.join("\n  ")}`);
}

function compareResults(s: Scenario, trades: readonly ClosedTrade[], problems: string[]): void {
  const fills = trades.flatMap((t) =>
    t.fills.map((f) => ({ side: fillSide(f, t), qty: f.qty, price: formatFixed(BigInt(f.price)), purpose: f.purpose })),
  );
  const wantFills = s.fills.map((f) => ({ ...f, price: formatFixed(parseFixed(f.price)) }));
  if (show(fills) !== show(wantFills))
    problems.push(
      `fills:\n    expected ${wantFills.map(fillText).join("\n             ")}\n    got      ${fills.map(fillText).join("\n             ") || "(none)"}`,
    );
  const got = trades.map((t) => ({
    side: t.side,
    qty: t.qty,
    entry: formatFixed(BigInt(t.entry)),
    exit: formatFixed(BigInt(t.exit)),
    gross: money(t.realized),
    net: money(t.realized - t.commissions),
  }));
  const want = s.closed.map((t) => ({
    side: t.side,
    qty: t.qty,
    entry: formatFixed(parseFixed(t.entry)),
    exit: formatFixed(parseFixed(t.exit)),
    gross: money(parseFixed(t.gross)),
    net: money(parseFixed(t.net)),
  }));
  if (show(got) !== show(want))
    problems.push(
      `closed trades:\n    expected ${want.map(show).join("\n             ") || "(none)"}\n    got      ${got.map(show).join("\n             ") || "(none)"}`,
    );
  const net = trades.reduce((n, t) => n + t.realized - t.commissions, 0n);
  if (net !== parseFixed(s.net)) problems.push(`net: expected ${money(parseFixed(s.net))}, got ${money(net)}`);
}

/** What was stored agrees: the journal's trades (by net, in cents) and the replay summary's causes. */
async function compareStored(
  s: Scenario,
  call: (m: string, p: string) => Promise<{ status: number; body: any }>,
  id: number,
  account: string,
  trades: readonly ClosedTrade[],
  problems: string[],
): Promise<void> {
  const j = await call("GET", `/api/v1/journal?account=${account}&tag=replay`);
  const rows = (j.body.trades ?? []) as { tradeId: string; net: number }[];
  const cents = (n: bigint) => Number((n >= 0n ? n + 5_000_000n : n - 5_000_000n) / 10_000_000n);
  const stored = trades.map((t) => ({ trade: t.tradeId, net: cents(t.realized - t.commissions) }));
  const journal = rows
    .map((r) => ({ trade: r.tradeId, net: Math.round(r.net * 100) }))
    .sort((a, b) => stored.findIndex((x) => x.trade === a.trade) - stored.findIndex((x) => x.trade === b.trade));
  if (show(stored) !== show(journal))
    problems.push(`journal: expected the closed trades ${show(stored)} (net in cents), got ${show(journal)}`);
  if (s.summary) {
    const r = await call("GET", "/api/v1/replays");
    const row = (
      (r.body.replays ?? []) as { id: number; summary: { exitReasons: Record<string, number> } | null }[]
    ).find((x) => x.id === id);
    const got = row?.summary?.exitReasons ?? null;
    const sorted = (o: Record<string, number> | null) =>
      o ? show(Object.fromEntries(Object.entries(o).sort())) : "null";
    if (sorted(got) !== sorted(s.summary.exitReasons))
      problems.push(`summary exitReasons: expected ${sorted(s.summary.exitReasons)}, got ${sorted(got)}`);
  }
}

const fillText = (f: { side: string; qty: number; price: string; purpose: string }) =>
  `${f.side} ${f.qty} @ ${f.price} (${f.purpose})`;
/** 1e-9 dollars as exact dollars with at least cents ("-5.00", "10.625"). */
function money(n: bigint): string {
  return formatFixed(n, 2);
}
