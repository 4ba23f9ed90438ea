import { sql, type Kysely } from "kysely";
import { z } from "zod";
import { CATALOGUE, type Instrument } from "../market-data/instruments/catalogue";
import type { Database } from "../persistence/database";
import { appendEvent, type Actor } from "../persistence/events";
import { AppError } from "../shared/app-error";
import { parse } from "../shared/parse";
import { stopSchema, targetSchema, timerFields } from "./schemas";

/** What a new trade on a symbol starts with: the ticket's quantity and the bracket. */
export const symbolDefaultsSchema = z.object({
  qty: z.coerce.number().int().min(1).max(10_000),
  stop: stopSchema.nullable(),
  ladder: z
    .array(
      z.object({
        enabled: z.boolean().default(true),
        qty: z.coerce.number().int().min(1).max(10_000),
        target: targetSchema,
      }),
    )
    .max(20),
  timer: z.object(timerFields).nullable(),
});
export type SymbolDefaults = z.infer<typeof symbolDefaultsSchema>;

export const prefsSchema = z.object({
  atr: z.object({
    method: z.enum(["simple", "wilder"], { error: "ATR method must be simple or wilder" }),
    period: z.coerce
      .number({ error: "ATR period must be a number" })
      .int("ATR period must be a whole number of bars")
      .min(1, "ATR period must be at least 1 bar")
      .max(500, "ATR period must be at most 500 bars"),
    lookback: z.coerce
      .number({ error: "ATR lookback must be a number" })
      .int("ATR lookback must be a whole number of bars")
      .min(2, "ATR lookback must be at least 2 bars")
      .max(10_000, "ATR lookback must be at most 10,000 bars"),
    multiplier: z.coerce
      .number({ error: "ATR stop multiplier must be a number" })
      .positive("ATR stop multiplier must be greater than 0")
      .max(50, "ATR stop multiplier must be at most 50"),
  }),
  /** Ask before actions that cost money (buy, sell, exit all, reverse). */
  confirm: z.boolean(),
});
export type Prefs = z.infer<typeof prefsSchema>;

export const DEFAULT_PREFS: Prefs = {
  atr: { method: "simple", period: 14, lookback: 390, multiplier: 10 },
  confirm: false,
};

/** The original client's defaults: stop and trail in points, 5 micros or 2 minis, a 5-minute timer. */
export function catalogueDefaults(inst: Instrument): SymbolDefaults {
  const pts = Number(inst.defaults.stopPoints);
  const trail = Number(inst.defaults.trailPoints);
  return {
    qty: inst.defaults.quantity,
    stop: {
      kind: "fixed",
      initial: { unit: "points", value: pts },
      trailBy: { unit: "points", value: trail },
      breakevenAfterTp1: null,
      trailAfterTp1: false,
    },
    ladder: [],
    timer: { seconds: 300, action: "hold", mode: "unless-profit" },
  };
}

/**
 * Per-user settings with a version each, so two browsers editing the same thing get a
 * conflict instead of a silent overwrite. Every change is audited.
 */
export class SettingsService {
  constructor(private readonly db: Kysely<Database>) {}

  private async read<T>(userId: number, key: string): Promise<{ value: T; version: number } | undefined> {
    const row = await this.db
      .selectFrom("user_settings")
      .select(["value", "version"])
      .where("user_id", "=", userId)
      .where("key", "=", key)
      .executeTakeFirst();
    if (!row) return undefined;
    return { value: (typeof row.value === "string" ? JSON.parse(row.value) : row.value) as T, version: row.version };
  }

  private async write(
    userId: number,
    key: string,
    value: unknown,
    expected: number | undefined,
    actor: Actor,
    reason: string,
  ): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      const json = JSON.stringify(value);
      // One statement decides: a first write of a key has no row to lock, so a read-then-write
      // would let concurrent first writes all "succeed" over one another.
      const row = await trx
        .insertInto("user_settings")
        .values({ user_id: userId, key, value: json, version: 1 })
        .onConflict((oc) => {
          const update = oc
            .columns(["user_id", "key"])
            .doUpdateSet({ value: json, version: sql`user_settings.version + 1`, updated_at: new Date() });
          return expected === undefined ? update : update.where("user_settings.version", "=", expected);
        })
        .returning("version")
        .executeTakeFirst();
      if (!row || (expected !== undefined && row.version !== expected + 1)) {
        const cur = await trx
          .selectFrom("user_settings")
          .select("version")
          .where("user_id", "=", userId)
          .where("key", "=", key)
          .executeTakeFirst();
        throw new AppError(
          409,
          `these settings were changed elsewhere meanwhile (version ${cur?.version ?? 0}, you edited ${expected}); reload to see them`,
        );
      }
      await appendEvent(trx, { actor, kind: "settings.changed", reason, data: { key } });
      return row.version;
    });
  }

  async symbolDefaults(userId: number, root: string): Promise<{ value: SymbolDefaults; version: number }> {
    const inst = CATALOGUE.find((i) => i.root === root);
    if (!inst) throw new AppError(404, `unknown symbol ${root}`);
    return (
      (await this.read<SymbolDefaults>(userId, `symbol:${root}`)) ?? { value: catalogueDefaults(inst), version: 0 }
    );
  }

  /** From a JSON request (decimal prices and distances). */
  async setSymbolDefaultsInput(
    userId: number,
    root: string,
    input: unknown,
    expected: number | undefined,
    actor: Actor,
  ): Promise<number> {
    return this.setSymbolDefaults(userId, root, parse(symbolDefaultsSchema, input), expected, actor);
  }

  /** Already parsed (distances in 1e-9 units), e.g. one part of the stored defaults replaced. */
  async setSymbolDefaults(
    userId: number,
    root: string,
    value: SymbolDefaults,
    expected: number | undefined,
    actor: Actor,
  ): Promise<number> {
    // The ladder is not held to the default quantity: the desk fits it to the ticket's quantity
    // when the order goes in (docs/trading-rules.md R6.1), so a sixth level is never refused here.
    return this.write(userId, `symbol:${root}`, value, expected, actor, `defaults for ${root} saved`);
  }

  async prefs(userId: number): Promise<{ value: Prefs; version: number }> {
    const r = await this.read<Prefs>(userId, "prefs");
    return r ? { value: { ...DEFAULT_PREFS, ...r.value }, version: r.version } : { value: DEFAULT_PREFS, version: 0 };
  }

  async setPrefs(userId: number, input: unknown, expected: number | undefined, actor: Actor): Promise<number> {
    // Each field's message names the field the way the settings form labels it.
    const prefs = parse(prefsSchema, input, (err) => err.issues[0]!.message);
    return this.write(
      userId,
      "prefs",
      prefs,
      expected,
      actor,
      `preferences saved (ATR ${prefs.atr.method} ${prefs.atr.period}/${prefs.atr.lookback}, ×${prefs.atr.multiplier})`,
    );
  }
}
