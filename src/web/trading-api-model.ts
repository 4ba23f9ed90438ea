import { z } from "zod";
import { AppError } from "../shared/app-error";
import { edgeSchema, jsonContent, parse } from "../shared/parse";
import * as S from "../trading/schemas";
import { levelIndex } from "../trading/trading-service";
import { answers, jsonBody, queryOf, refusal } from "./api-model";
import { timeParam, wholeNumber } from "./params";

/**
 * The v1 trading API's model, beside its controller (trading-api.ts): the request bodies, checked
 * at the route by the service's own schemas (so every refusal reads as it always has), and the
 * answers as the API document shows them.
 */
export const bodies = {
  order: jsonBody(S.orderBody),
  record: jsonBody(S.recordBody),
  exit: jsonBody(S.exitBody),
  version: jsonBody(S.versionBody),
  ladder: jsonBody(S.ladderBody),
  levelPatch: jsonBody(S.levelPatchBody),
  stop: jsonBody(S.stopBody),
  moveStop: jsonBody(S.moveStopBody),
  timer: jsonBody(S.timerBody),
  execution: jsonBody(S.executionBody),
};

const name = z.string().trim().min(1, "must not be empty").max(64, "at most 64 characters");
export const queries = {
  positions: queryOf(z.object({ account: name.optional() })),
  events: queryOf(z.object({ symbol: name.optional(), limit: wholeNumber(1, 1000).default(100) })),
  journal: queryOf(
    z.object({
      account: name.optional(),
      symbol: name.optional(),
      from: timeParam.optional(),
      to: timeParam.optional(),
      tag: z.string().optional(),
      format: z.enum(["json", "csv"], { error: "json or csv" }).optional(),
    }),
  ),
  // The service's wording ("query.risk: …"), as the route always answered.
  sizing: queryOf(S.sizingQuery, (query) => parse(S.sizingQuery, query ?? {}, "query")),
};

/** The Idempotency-Key header, when sent: a retried request is applied once. */
export function idempotencyKey(key: string | null | undefined): string | undefined {
  if (key != null && !/^[\x21-\x7e]{1,100}$/.test(key))
    throw new AppError(400, "Idempotency-Key: 1 to 100 visible ASCII characters");
  return key ?? undefined;
}

/**
 * The header and the ladder index are checked at the route too, before the body (Elysia checks
 * headers, then the address, then the body): the order the handlers always refused them in.
 */
export const writeHeaders = edgeSchema(
  (headers) => {
    idempotencyKey((headers as Record<string, string | undefined> | undefined)?.["idempotency-key"]);
    return headers as Record<string, string | undefined>;
  },
  () => ({
    type: "object",
    properties: { "idempotency-key": { type: "string", pattern: "^[\\x21-\\x7e]{1,100}$" } },
  }),
);
export const levelParams = edgeSchema(
  (params) => {
    const p = params as { account: string; symbol: string; index: string };
    return { ...p, index: levelIndex(p.index) };
  },
  () => ({
    type: "object",
    properties: { account: { type: "string" }, symbol: { type: "string" }, index: { type: "integer", minimum: 0 } },
    required: ["account", "symbol", "index"],
  }),
);

/* ---------- answers, for the API document only ---------- */

const price = z.string().describe("decimal, on the instrument's tick grid");
const target = z.object({ unit: z.enum(["points", "ticks", "price"]), value: z.union([z.number(), z.string()]) });

export const positionJson = z
  .object({
    account: z.string(),
    symbol: z.string(),
    tradeId: z.string().nullable(),
    version: z.number().int().describe("send it back as `version` to refuse a change based on a stale view"),
    side: z.enum(["long", "short"]).nullable(),
    qty: z.number().int(),
    avgEntry: price.nullable(),
    openedAt: z.number().int().nullable(),
    lastPrice: price.nullable(),
    unrealized: z.number().nullable().describe("dollars"),
    pnlTicks: z.number().nullable(),
    pnlPoints: z.number().nullable().describe("per contract"),
    realized: z.number().describe("dollars"),
    commissions: z.number().describe("dollars"),
    ladder: z.array(
      z.object({
        index: z.number().int(),
        enabled: z.boolean(),
        qty: z.number().int(),
        target,
        price,
        status: z.string(),
        filledQty: z.number().int(),
        fillPrice: price.nullable(),
        lastError: z.string().nullable(),
      }),
    ),
    stop: z
      .object({
        kind: z.enum(["fixed", "stop-limit", "trailing"]),
        price,
        status: z.string(),
        trailing: z.boolean(),
        initial: z.unknown(),
        trailBy: target.nullable(),
        limitOffsetTicks: z.number().int().nullable(),
        breakevenAfterTp1: z.object({ offsetTicks: z.number().int(), thenTrail: z.boolean() }).nullable(),
        trailAfterTp1: z.boolean(),
        best: price.nullable(),
      })
      .nullable(),
    timer: z.object({}).passthrough().nullable(),
    closing: z.object({ purpose: z.string(), reason: z.string() }).nullable(),
    working: z.array(
      z.object({
        orderId: z.string(),
        purpose: z.string(),
        side: z.enum(["buy", "sell"]),
        qty: z.number().int(),
        type: z.string(),
        limitPrice: price.nullable(),
        state: z.enum(["sent", "resting", "limit passed", "waiting for a price"]),
      }),
    ),
    unprotected: z.object({ sinceMs: z.number().int(), reason: z.string() }).nullable(),
  })
  .describe("a position with its ladder, stop, timer, working orders and live P&L");

const positionAnswer = z.object({ position: positionJson.nullable() });
export const positionsAnswer = z.object({ positions: z.array(positionJson) });
export const accountsAnswer = z.object({
  accounts: z.array(
    z.object({
      name: z.string(),
      kind: z.enum(["live", "paper", "replay"]),
      execution: z.enum(["paper", "webhook"]),
      commissionPerContract: z.number(),
      webhook: z.string().nullable().describe("a masked hint of the URL; the URL itself is write-only"),
    }),
  ),
});
export const okAnswer = z.object({ success: z.literal(true) });

/** A position change's answers: the position after it, or why nothing changed. */
export const changed = {
  ...answers(positionAnswer, "`{position}` after the change (null when flat and never traded)", {
    404: "no such account, symbol or level",
  }),
  409: {
    description: "stale `version`, a refused rule, no price yet: `current` is the position now",
    content: jsonContent(refusal.extend({ current: positionJson.nullable().optional() })),
  },
};
