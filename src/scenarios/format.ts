import { z } from "zod";
import { parseFixed } from "../shared/fixed-point";

/**
 * A scenario: a tape of prints, the trader's commands at chosen prints, and what must come out
 * (every fill, every closed trade, the net P&L), all written by hand from docs/trading-rules.md.
 * Prices and money are decimal strings so they are compared exactly (integers of 1e-9), never as
 * floats. Command bodies are exactly what the JSON API takes, so a scenario reads like a session.
 */

const decimal = z.string().regex(/^-?\d+(\.\d{1,9})?$/, 'a decimal string such as "5000.25" or "-12.50"');
/** "+250ms", "1s", "5m", "2h": how far replay time moves. */
export const duration = z.string().regex(/^\+?\d+(ms|s|m|h)$/, 'a duration such as "1s", "+250ms", "5m"');
const json = z.record(z.string(), z.unknown());

/** A command the engine must refuse: any 4xx unless a status is given; `message` is a case-insensitive substring. */
const refused = z
  .object({ status: z.number().int().min(400).max(499).optional(), message: z.string().optional() })
  .strict();
const note = z.string().optional();

const ladderExpect = z
  .object({
    price: decimal.optional(),
    qty: z.number().int().optional(),
    status: z.string().optional(),
    enabled: z.boolean().optional(),
  })
  .strict();
const workingExpect = z
  .object({
    purpose: z.string().optional(),
    side: z.enum(["buy", "sell"]).optional(),
    qty: z.number().int().optional(),
    type: z.string().optional(),
    limitPrice: decimal.nullable().optional(),
    state: z.enum(["sent", "resting", "limit passed", "waiting for a price"]).optional(),
  })
  .strict();

/** The few friendly fields of `GET …/positions/<symbol>` a scenario may check; absent = not checked. */
export const positionExpect = z
  .object({
    qty: z.number().int().min(0).optional(),
    side: z.enum(["long", "short"]).nullable().optional(),
    avg: decimal.optional(),
    /** The stop's trigger price, or null for no stop. */
    stop: decimal.nullable().optional(),
    stopStatus: z.string().optional(),
    trailing: z.boolean().optional(),
    /** Every level, nearest first (same length). */
    ladder: z.array(ladderExpect).optional(),
    /** Every working order (same length, in the view's order). */
    working: z.array(workingExpect).optional(),
    unprotected: z.boolean().optional(),
    /** Purpose of the exit of the whole position under way, or null. */
    closing: z.string().nullable().optional(),
  })
  .strict();

const expectBody = z
  .object({
    position: positionExpect.optional(),
    /** Case-insensitive substrings that must each appear in some event ("kind: reason") of the account so far. */
    events: z.array(z.string()).optional(),
  })
  .strict();

const withRefusal = <T extends z.ZodRawShape>(shape: T) =>
  z.object({ ...shape, refused: refused.optional(), note }).strict();

/** Each step kind by its key; a step has exactly one of them. */
export const STEP_KINDS = {
  print: z.object({ print: decimal, at: duration.optional(), note }).strict(),
  prints: z
    .object({
      prints: z.string().regex(/^\s*-?\d+(\.\d{1,9})?(\s+-?\d+(\.\d{1,9})?)*\s*$/, "prices separated by spaces"),
      every: duration.optional(),
      at: duration.optional(),
      repeat: z.number().int().min(1).max(500).optional(),
      note,
    })
    .strict(),
  wait: z.object({ wait: duration, note }).strict(),
  feed: z.object({ feed: z.enum(["down", "up"]), note }).strict(),
  /** The replay account's commission changes while it runs (dollars per contract per side). */
  commission: z.object({ commission: decimal, note }).strict(),
  order: withRefusal({ order: json }),
  record: withRefusal({ record: json }),
  exit: withRefusal({ exit: json }),
  clear: withRefusal({ clear: json }),
  convert: withRefusal({ convert: json }),
  ladder: withRefusal({ ladder: json }),
  level: withRefusal({ level: json.and(z.object({ index: z.number().int().min(0) })) }),
  stop: withRefusal({ stop: json }),
  moveStop: withRefusal({ moveStop: json }),
  timer: withRefusal({ timer: json }),
  expect: z.object({ expect: expectBody, note }).strict(),
} as const;
export type StepKind = keyof typeof STEP_KINDS;
export type Step = { [K in StepKind]: { kind: K } & z.infer<(typeof STEP_KINDS)[K]> }[StepKind];

const step = z.record(z.string(), z.unknown()).transform((raw, ctx): Step => {
  const kinds = Object.keys(raw).filter((k): k is StepKind => k in STEP_KINDS);
  if (kinds.length !== 1) {
    ctx.addIssue({
      code: "custom",
      message: `a step has exactly one of ${Object.keys(STEP_KINDS).join(", ")} (found ${kinds.join(", ") || "none"})`,
    });
    return z.NEVER;
  }
  const kind = kinds[0]!;
  const r = STEP_KINDS[kind].safeParse(raw);
  if (!r.success) {
    for (const i of r.error.issues)
      ctx.addIssue({ code: "custom", message: `${kind} step: ${i.message}`, path: i.path as (string | number)[] });
    return z.NEVER;
  }
  return { kind, ...r.data } as Step;
});

export const fillExpect = z
  .object({
    side: z.enum(["buy", "sell"]),
    qty: z.number().int().min(1),
    price: decimal,
    /** The engine's purpose of the order: entry, tp, stop, timer, exit, reverse. */
    purpose: z.string(),
  })
  .strict();

export const closedExpect = z
  .object({
    side: z.enum(["long", "short"]),
    /** Contracts entered in the trade. */
    qty: z.number().int().min(1),
    /** Average entry and exit of all contracts (exact, up to 9 decimals). */
    entry: decimal,
    exit: decimal,
    /** Dollars, before and after commission. */
    gross: decimal,
    net: decimal,
  })
  .strict();

export const scenarioSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/),
    rules: z.array(z.string().regex(/^R\d+\.\d+$/)).min(1),
    about: z.string().min(10),
    /** The hand arithmetic behind the expectations. */
    why: z.union([z.string(), z.array(z.string())]).optional(),
    symbol: z.enum(["MES", "ES", "NQ", "MNQ", "CL", "GC"]),
    /** The first print's time (ISO, UTC): a weekday while CME is open. */
    start: z.iso.datetime(),
    commission: decimal.optional(),
    steps: z.array(step).min(1),
    /** Every fill of the closed trades, in order, entries included (a cleared trade has none, R4.3). */
    fills: z.array(fillExpect),
    closed: z.array(closedExpect),
    /** Σ net of the closed trades, dollars. */
    net: decimal,
    /** The stored replay summary's tally of closing fills by cause. */
    summary: z
      .object({ exitReasons: z.record(z.string(), z.number().int()) })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (!s.steps.some((x) => x.kind === "print" || x.kind === "prints"))
      ctx.addIssue({ code: "custom", message: "the tape has no print", path: ["steps"] });
    // The net is the sum of the trades' nets: a typo in either is caught before the run.
    const sum = s.closed.reduce((n, t) => n + parseFixed(t.net), 0n);
    if (sum !== parseFixed(s.net))
      ctx.addIssue({
        code: "custom",
        message: `net ${s.net} is not the sum of the closed trades' nets`,
        path: ["net"],
      });
    // Without commission a trade's net is its gross.
    const free = !s.commission && !s.steps.some((x) => x.kind === "commission");
    s.closed.forEach((t, i) => {
      if (free && parseFixed(t.net) !== parseFixed(t.gross))
        ctx.addIssue({
          code: "custom",
          message: "no commission is charged, so net must equal gross",
          path: ["closed", i, "net"],
        });
    });
  });

export type Scenario = z.infer<typeof scenarioSchema>;
export type PositionExpect = z.infer<typeof positionExpect>;

/** Milliseconds of a duration string. */
export function durationMs(d: string): number {
  const m = /^\+?(\d+)(ms|s|m|h)$/.exec(d);
  if (!m) throw new Error(`not a duration: ${d}`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as "ms" | "s" | "m" | "h"];
}

/** The schema's verdict on one case file, as one readable message per problem. */
export function parseScenario(input: unknown, file: string): Scenario {
  const r = scenarioSchema.safeParse(input);
  if (r.success) return r.data;
  throw new Error(
    `${file}: not a valid scenario:\n${r.error.issues.map((i) => `  ${i.path.join(".") || "(top)"}: ${i.message}`).join("\n")}`,
  );
}
