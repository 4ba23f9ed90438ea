import { barPoints } from "../market-data/bars/bar";
import { Elysia } from "elysia";
import { z } from "zod";
import type { AppContext } from "./app-context";
import { barsToCsv, barsToDbn } from "../market-data/archive/export";
import { continuousSymbol } from "../market-data/instruments/roll-rule";
import { resolveSymbol } from "../market-data/instruments/symbols";
import { AppError } from "../shared/app-error";
import { edgeZod, jsonContent, queryParameters } from "../shared/parse";
import { authPlugin } from "./auth-plugin";
import { parseQuery, timeParam, wholeNumber } from "./params";

const tags = ["Market data"];
const MAX_EXPORT_BARS = 1_000_000;

const barsQuery = z.object({
  from: timeParam,
  to: timeParam.optional(),
  format: z.enum(["json", "csv", "dbn"]).default("json"),
});
const atrQuery = z.object({
  method: z.enum(["simple", "wilder"]).default("simple"),
  period: wholeNumber(1, 500).default(14),
  lookback: wholeNumber(2, 10_000).default(390),
});
const recentQuery = z.object({
  count: wholeNumber(1, 2000).default(240),
  interval: z.enum(["1m", "1s"], { error: "expected 1m or 1s" }).default("1m"),
});
const watchBody = z.object({ symbols: z.array(z.string().trim().min(1).max(32)).min(1).max(100) });

/** Answers, for the API document only. */
const barJson = z.object({ ts: z.number(), o: z.number(), h: z.number(), l: z.number(), c: z.number(), v: z.number() });
const barsAnswer = z.object({
  symbol: z.string(),
  dataset: z.string(),
  bars: z.array(barJson.extend({ src: z.enum(["databento", "trades", "simulated"]), contract: z.string() })),
});
const recentAnswer = z.object({ symbol: z.string(), interval: z.enum(["1m", "1s"]), bars: z.array(barJson) });
const volumeAnswer = z.object({
  symbol: z.string(),
  since: z.number().nullable(),
  last: z.number().nullable(),
  levels: z.array(z.object({ p: z.number(), v: z.number() })),
});
const watchAnswer = z.object({ added: z.array(z.string()), symbols: z.array(z.string()) });
const answer = (schema: z.ZodType, description = "OK") => ({
  200: { description, content: jsonContent(schema) },
});

function root(symbol: string): string {
  const r = resolveSymbol(symbol);
  if (!r.ok) throw new AppError(404, r.message);
  return r.value.instrument.root;
}

/** Feed and archive state, bars (JSON, CSV or DBN), ATR and the watch list, over the same services as the pages. */
export function marketApi(ctx: AppContext) {
  return new Elysia({ name: "market-api", prefix: "/api/v1/market" })
    .use(authPlugin(ctx))
    .get(
      "/status",
      () => ({
        feed: ctx.config.FEED === "off" ? { kind: "off" } : ctx.marketData.status(),
        symbols: ctx.marketData.symbols,
        archive: ctx.archive.status(),
      }),
      {
        detail: {
          tags,
          summary: "Which feed is live, its last tick age, streamed symbols, archive and backfill progress",
        },
      },
    )
    .get(
      "/:symbol/bars",
      async ({ params, query, set }) => {
        const symbol = root(params.symbol);
        const q = parseQuery(barsQuery, query);
        const to = q.to ?? Date.now();
        if (!(to > q.from)) throw new AppError(400, "to: must be after from");
        if (!ctx.archive.symbols.includes(symbol))
          throw new AppError(
            404,
            `${symbol} is not archived (archived: ${ctx.archive.symbols.join(", ")}; see ARCHIVE_SYMBOLS)`,
          );
        const bars = await ctx.archive.range(symbol, q.from, to, MAX_EXPORT_BARS + 1);
        if (bars.length > MAX_EXPORT_BARS)
          throw new AppError(400, `more than ${MAX_EXPORT_BARS} bars: ask for a shorter range`);
        const name = `${symbol}_${new Date(q.from).toISOString().slice(0, 10)}_${new Date(to).toISOString().slice(0, 10)}.ohlcv-1m`;
        if (q.format === "csv") {
          set.headers["content-type"] = "text/csv; charset=utf-8";
          set.headers["content-disposition"] = `attachment; filename="${name}.csv"`;
          return barsToCsv(bars);
        }
        if (q.format === "dbn") {
          // The simulated market's bars keep their dataset (SIM) here too: they are not CME data.
          const body = barsToDbn(
            symbol,
            ctx.archive.dataset,
            bars,
            q.from,
            to,
            continuousSymbol(ctx.config.ROLL_RULE, symbol),
          );
          return new Response(body as Uint8Array<ArrayBuffer>, {
            headers: {
              "content-type": "application/octet-stream",
              "content-disposition": `attachment; filename="${name}.dbn"`,
            },
          });
        }
        return {
          symbol,
          dataset: ctx.archive.dataset,
          bars: bars.map((b) => ({
            ...barPoints(b),
            src: b.source,
            contract: b.contract,
          })),
        };
      },
      {
        detail: {
          tags,
          summary: "Archived one-minute bars in [from, to): JSON, CSV or DBN (format=)",
          description: "`from`/`to`: epoch ms or ISO-8601 with offset.",
          parameters: queryParameters(barsQuery),
          responses: answer(barsAnswer, "JSON bars (format=json); CSV or DBN files otherwise"),
        },
      },
    )
    .get(
      "/:symbol/recent",
      async ({ params, query }) => {
        const symbol = root(params.symbol);
        const { count, interval } = parseQuery(recentQuery, query);
        if (interval === "1s")
          return { symbol, interval: "1s", bars: ctx.marketData.recentSeconds(symbol, count).map(barPoints) };
        const bars = await ctx.barHistory.recent(symbol, count);
        const forming = ctx.marketData.formingBar(symbol);
        const out = bars.map(barPoints);
        if (forming && (!bars.length || forming.startMs > bars[bars.length - 1]!.startMs)) out.push(barPoints(forming));
        return { symbol, interval: "1m", bars: out };
      },
      {
        detail: {
          tags,
          summary:
            "The newest bars and the one still forming, for charts: one-minute (archive + live, default) or `interval=1s` (the last 15 minutes, live)",
          parameters: queryParameters(recentQuery),
          responses: answer(recentAnswer),
        },
      },
    )
    .get(
      "/:symbol/volume",
      ({ params }) => {
        const symbol = root(params.symbol);
        const v = ctx.marketData.sessionVolume(symbol);
        return { symbol, since: v.sinceMs, last: v.lastMs, levels: v.levels.map(([p, q]) => ({ p: p / 1e9, v: q })) };
      },
      {
        detail: {
          tags,
          summary:
            "Volume at price for the current session (the price ladder's column): since the session's open, or since this server first saw the symbol print (`since`)",
          responses: answer(volumeAnswer),
        },
      },
    )
    .get(
      "/:symbol/atr",
      async ({ params, query }) => {
        const symbol = root(params.symbol);
        const q = parseQuery(atrQuery, query);
        const r = await ctx.barHistory.atr(symbol, q);
        return r.available ? { symbol, ...r, value: r.value / 1e9 } : { symbol, ...r };
      },
      {
        detail: {
          tags,
          summary:
            "ATR over one-minute bars (archive + live); `available: false` with the reason when there is not enough data",
          parameters: queryParameters(atrQuery),
        },
      },
    )
    .post(
      "/watch",
      ({ body }) => {
        const roots = body.symbols.map(root);
        return { added: ctx.marketData.watch(roots), symbols: ctx.marketData.symbols };
      },
      {
        detail: {
          tags,
          summary: "Make sure symbols stream (added to the running feed session without tearing it down)",
          responses: answer(watchAnswer),
        },
        body: edgeZod(watchBody),
      },
    );
}
