import { sql, type Kysely, type Transaction } from "kysely";
import { formatFixed, parseFixed } from "../../shared/fixed-point";
import type { SqlScript } from "../multi-row";
import type { Database } from "../database";

type Db = Kysely<Database> | Transaction<Database>;

export type Side = "buy" | "sell";

/** An open trade of the original API: one per account and symbol. Prices in 1e-9 units. */
export interface OpenOrder {
  id: number;
  accountId: number;
  symbol: string;
  action: Side;
  quantity: number;
  entryPrice: bigint;
  timestamp: number;
  stopLoss: unknown;
  version: number;
}

export interface TpLevel {
  id: number;
  enabled: boolean;
  quantity: number;
  target: bigint;
  price: bigint;
  hit: boolean;
  version: number;
}

function toOrder(r: {
  id: number;
  account_id: number;
  symbol: string;
  action: Side;
  quantity: number;
  entry_price: string;
  timestamp: string | number;
  stop_loss: unknown;
  version: number;
}): OpenOrder {
  return {
    id: r.id,
    accountId: r.account_id,
    symbol: r.symbol,
    action: r.action,
    quantity: r.quantity,
    entryPrice: parseFixed(String(r.entry_price)),
    timestamp: Number(r.timestamp),
    stopLoss: typeof r.stop_loss === "string" ? JSON.parse(r.stop_loss) : r.stop_loss,
    version: r.version,
  };
}

const orderColumns = [
  "id",
  "account_id",
  "symbol",
  "action",
  "quantity",
  "entry_price",
  "timestamp",
  "stop_loss",
  "version",
] as const;
const levelColumns = ["id", "enabled", "quantity", "target", "price", "hit", "version"] as const;

export interface OrderWrite {
  action: Side;
  quantity: number;
  entryPrice: bigint;
  timestamp: number;
  stopLoss: unknown;
}

export async function upsertOrder(db: Db, accountId: number, symbol: string, o: OrderWrite): Promise<void> {
  const values = {
    action: o.action,
    quantity: o.quantity,
    entry_price: formatFixed(o.entryPrice),
    timestamp: o.timestamp,
    stop_loss: o.stopLoss == null ? null : JSON.stringify(o.stopLoss),
  };
  await db
    .insertInto("orders")
    .values({ account_id: accountId, symbol, ...values })
    .onConflict((oc) =>
      oc
        .columns(["account_id", "symbol"])
        .doUpdateSet({ ...values, version: sql`orders.version + 1`, updated_at: sql`now()` }),
    )
    .execute();
}

function toLevel(r: {
  id: number;
  enabled: boolean;
  quantity: number;
  target: string;
  price: string;
  hit: boolean;
  version: number;
}): TpLevel {
  return {
    id: r.id,
    enabled: r.enabled,
    quantity: r.quantity,
    target: parseFixed(String(r.target)),
    price: parseFixed(String(r.price)),
    hit: r.hit,
    version: r.version,
  };
}

export type TpLevelWrite = Omit<TpLevel, "id" | "version">;

/** The original API's rows of these accounts, as the in-memory tables hold them (start-up, adoption, after a failed write). */
export async function loadLegacyRows(db: Db, accountIds: readonly number[]) {
  if (!accountIds.length)
    return { orders: [] as OpenOrder[], levels: [] as (TpLevel & { accountId: number; symbol: string })[] };
  const [orders, levels] = await Promise.all([
    db.selectFrom("orders").select(orderColumns).where("account_id", "in", accountIds).execute(),
    db
      .selectFrom("take_profit_levels")
      .select(["account_id", "symbol", ...levelColumns])
      .where("account_id", "in", accountIds)
      .execute(),
  ]);
  return {
    orders: orders.map(toOrder),
    levels: levels.map((r) => ({ ...toLevel(r), accountId: r.account_id, symbol: r.symbol })),
  };
}

type Keyed = { accountId: number; symbol: string };

/** What a batch changed in the original API's tables, row by row: only what differs from the stored rows. */
export interface LegacyRowsWrite {
  orderUpserts: (Keyed & { order: OrderWrite })[];
  orderDeletes: Keyed[];
  levelUpserts: (Keyed & { level: TpLevelWrite })[];
  levelDeletes: (Keyed & { target: bigint })[];
}

export const noLegacyRows = (w: LegacyRowsWrite) =>
  !w.orderUpserts.length && !w.orderDeletes.length && !w.levelUpserts.length && !w.levelDeletes.length;

/** At most one statement per table and kind, however many requests the batch holds. */
export function writeLegacyRows(script: SqlScript, w: LegacyRowsWrite): void {
  if (w.orderDeletes.length) {
    script.values(
      "delete from orders where (account_id, symbol) in (",
      w.orderDeletes.map((d) => [d.accountId, d.symbol]),
      ")",
      ["int", "text"],
    );
  }
  if (w.orderUpserts.length) {
    script.values(
      "insert into orders (account_id, symbol, action, quantity, entry_price, timestamp, stop_loss)",
      w.orderUpserts.map(({ accountId, symbol, order: o }) => [
        accountId,
        symbol,
        o.action,
        o.quantity,
        formatFixed(o.entryPrice),
        o.timestamp,
        o.stopLoss == null ? null : JSON.stringify(o.stopLoss),
      ]),
      `on conflict (account_id, symbol) do update set action = excluded.action, quantity = excluded.quantity, entry_price = excluded.entry_price,
        timestamp = excluded.timestamp, stop_loss = excluded.stop_loss, version = orders.version + 1, updated_at = now()`,
    );
  }
  if (w.levelDeletes.length) {
    script.values(
      "delete from take_profit_levels where (account_id, symbol, target) in (",
      w.levelDeletes.map((d) => [d.accountId, d.symbol, formatFixed(d.target)]),
      ")",
      ["int", "text", "numeric"],
    );
  }
  if (w.levelUpserts.length) {
    script.values(
      "insert into take_profit_levels (account_id, symbol, enabled, quantity, target, price, hit)",
      w.levelUpserts.map(({ accountId, symbol, level: l }) => [
        accountId,
        symbol,
        l.enabled,
        l.quantity,
        formatFixed(l.target),
        formatFixed(l.price),
        l.hit,
      ]),
      `on conflict (account_id, symbol, target) do update set enabled = excluded.enabled, quantity = excluded.quantity, price = excluded.price,
        hit = excluded.hit, version = take_profit_levels.version + 1, updated_at = now()`,
    );
  }
}
