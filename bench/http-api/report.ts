// The report's figures and Markdown tables: medians of the rounds with their spread, SQL per request.
import type { Endpoint, WrkRun } from "../http-api-load";
import { BURST, CONNECTIONS, ENDPOINTS } from "./options";
import type { PerRequest, SqlCost } from "./sql-count";

/** A server's wrk runs of an endpoint at a connection count, one per round. */
type RunsOf = (server: string, e: Endpoint, c: number) => WrkRun[];

export const ms = (x: number) => (x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : x.toFixed(0));
export const int = (x: number) => Math.round(x).toLocaleString("en-US");

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const spread = (xs: number[], f: (x: number) => string) =>
  xs.length > 1 ? `${f(median(xs))} (${f(Math.min(...xs))}–${f(Math.max(...xs))})` : f(xs[0]!);
/** One figure of a run across the rounds. */
const across = (rs: WrkRun[], figure: (r: WrkRun) => number, f: (x: number) => string) => spread(rs.map(figure), f);

function table(head: string[], rows: string[][]): string {
  return [
    `| ${head.join(" | ")} |`,
    `|${head.map(() => "---").join("|")}|`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ].join("\n");
}

export function oursTable(runsOf: RunsOf): string {
  return table(
    ["endpoint", "connections", "req/s", "p50 ms", "p99 ms"],
    ENDPOINTS.flatMap((e) =>
      CONNECTIONS.map((c) => {
        const rs = runsOf("ours", e, c);
        return [
          `\`${e.name}\``,
          String(c),
          across(rs, (r) => r.rps, int),
          across(rs, (r) => r.p50, ms),
          across(rs, (r) => r.p99, ms),
        ];
      }),
    ),
  );
}

export function peerTable(runsOf: RunsOf, peers: string[]): string {
  return table(
    [
      "endpoint",
      "connections",
      "ours req/s",
      ...peers.map((p) => `${p} req/s`),
      "ours ÷ better Flask",
      "p99 ours / Flask ms",
    ],
    ENDPOINTS.flatMap((e) =>
      CONNECTIONS.map((c) => {
        const mine = runsOf("ours", e, c);
        const theirs = peers.map((p) => runsOf(p, e, c));
        // The better of the Flask configurations by median req/s, compared round by round.
        const best = theirs.reduce((a, b) => (median(b.map((r) => r.rps)) > median(a.map((r) => r.rps)) ? b : a));
        const ratios = mine.map((r, i) => r.rps / best[i]!.rps);
        return [
          `\`${e.name}\``,
          String(c),
          across(mine, (r) => r.rps, int),
          ...theirs.map((rs) => across(rs, (r) => r.rps, int)),
          spread(ratios, (x) => `${x.toFixed(1)}×`),
          `${ms(median(mine.map((r) => r.p99)))} / ${ms(median(best.map((r) => r.p99)))}`,
        ];
      }),
    ),
  );
}

export function sqlTable(costs: Map<string, SqlCost>): string {
  const cell = (p: PerRequest) => `${p.statements.toFixed(2)} / ${p.transactions.toFixed(2)}`;
  const servers = [...costs.keys()];
  return table(
    ["endpoint", ...servers.flatMap((s) => [`${s}: one at a time`, `${s}: ${BURST} at once`])],
    ENDPOINTS.map((e) => [
      `\`${e.name}\``,
      ...servers.flatMap((s) => [cell(costs.get(s)!.oneAtATime.get(e.name)!), cell(costs.get(s)!.burst.get(e.name)!)]),
    ]),
  );
}
