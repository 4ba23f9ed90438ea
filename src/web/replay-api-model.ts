import { z } from "zod";
import { edgeSchema, inputJsonSchema, parse } from "../shared/parse";
import { controlBody, createBody, historicalBody } from "../replay/replay-requests";
import { answers, jsonBody } from "./api-model";

/**
 * The replay JSON API's model, beside its controller (replay-routes.tsx): bodies checked at the
 * route by the service's schemas (same refusals, same order), answers as the document shows them.
 */
const confirmCost = z.object({ confirmCost: z.coerce.number().min(0, "body.confirmCost: the cost you accepted") });

export const replayBodies = {
  create: jsonBody(createBody),
  control: jsonBody(controlBody),
  quote: jsonBody(historicalBody),
  // The accepted cost is checked first, as the download always has; the range is what a quote checks.
  download: edgeSchema(
    (input) => {
      const { confirmCost: cost } = parse(confirmCost, input ?? {});
      return { ...parse(historicalBody, input ?? {}), confirmCost: cost };
    },
    () => inputJsonSchema(historicalBody.extend(confirmCost.shape)),
  ),
};

/* ---------- answers, for the API document only ---------- */

const summary = z.object({}).passthrough().nullable().describe("the replay's result once it ended");
const session = z.object({
  id: z.number().int(),
  accountId: z.number().int(),
  account: z.string().describe("trade in it with the trading routes and this account"),
  source: z.object({}).passthrough(),
  state: z.string(),
  replayMs: z.number().int().nullable(),
  summary,
  createdAt: z.string().describe("ISO-8601"),
  open: z.boolean(),
});
const panel = z.object({
  id: z.number().int(),
  account: z.string(),
  description: z.string(),
  state: z.string(),
  speed: z.union([z.number(), z.literal("max")]),
  nowMs: z.number().int(),
  startMs: z.number().int(),
  endMs: z.number().int(),
  progress: z.number().describe("0 to 1"),
  summary,
});
const file = z.object({
  id: z.number().int(),
  kind: z.enum(["upload", "historical"]),
  name: z.string(),
  bytes: z.number().int(),
  schema: z.string(),
  symbols: z.array(z.string()),
  startMs: z.number().int(),
  endMs: z.number().int(),
  records: z.number().int(),
  cost: z.number().nullable(),
  createdAt: z.string(),
});
const quote = z.object({
  request: historicalBody,
  cost: z.number().describe("dollars"),
  dataset: z.string(),
  notice: z.string().optional().describe("when the range was cut to the data Databento has"),
});

const notOpen = { 404: "no such replay, or it is not open" };
export const replayAnswers = {
  list: answers(z.object({ replays: z.array(session) }), "`{replays}`, newest first"),
  create: answers(
    z.object({ id: z.number().int(), account: z.string(), symbols: z.array(z.string()) }),
    "`{id, account, symbols}` of the new replay",
    { 404: "no such file", 409: "too many replays open" },
  ),
  state: answers(panel.extend({ symbols: z.array(z.string()) }), "the player's state", notOpen),
  control: answers(
    z.union([panel, z.object({ id: z.number().int(), state: z.literal("closed") })]),
    "the player's state after it (`{id, state: closed}` once closed)",
    { ...notOpen, 409: "the replay has ended, or a seek back while a position is open" },
  ),
  bars: answers(
    z.object({ symbol: z.string(), interval: z.enum(["1s", "1m"]), bars: z.array(z.object({}).passthrough()) }),
    "`{symbol, interval, bars}`",
    notOpen,
  ),
  files: answers(z.object({ files: z.array(file) }), "`{files}`, newest first"),
  file: answers(file, "the stored file"),
  quote: answers(quote, "the cost of the range", { 409: "no Historical API access", 502: "Databento refused" }),
  download: answers(file.extend({ notice: z.string().optional() }), "the stored file", {
    409: "no Historical API access, or the cost changed since the quote",
  }),
};
