import type { Kysely, Transaction } from "kysely";
import type { SqlScript } from "../multi-row";
import type { EngineSnapshot } from "../../trading/engine/engine";
import type {
  AccountConfig,
  AccountDay,
  Bracket,
  ClosedTrade,
  EngineEvent,
  OrderRequest,
  Position,
  RiskLimits,
  WorkingOrder,
} from "../../trading/engine/types";
import type { Database } from "../database";
import { nanosToDecimal } from "../../shared/price-format";
import { type AccountRow, listAllAccounts } from "./accounts-repo";

type Db = Kysely<Database> | Transaction<Database>;

/** JSON with BigInt kept exact: 123n ⇄ "123n" (no state string looks like that otherwise). */
export const toJson = (v: unknown): string => JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? `${x}n` : x));
export const fromJson = <T>(v: unknown): T => {
  const text = typeof v === "string" ? v : JSON.stringify(v);
  return JSON.parse(text, (_k, x) => (typeof x === "string" && /^-?\d+n$/.test(x) ? BigInt(x.slice(0, -1)) : x)) as T;
};

/** 1e-9 dollars (BigInt) as an exact decimal for numeric columns. */
const dollars = (n: bigint): string => {
  const neg = n < 0n;
  const a = neg ? -n : n;
  return `${neg ? "-" : ""}${a / 1_000_000_000n}.${String(a % 1_000_000_000n).padStart(9, "0")}`;
};

export async function loadAccounts(
  db: Db,
): Promise<(AccountConfig & { name: string; execution: "paper" | "webhook" })[]> {
  return (await listAllAccounts(db)).map((r) => ({
    id: r.id,
    userId: r.userId,
    kind: r.kind,
    name: r.name,
    execution: r.execution,
    commission: decimalToNanoBig(String(r.commission)),
    risk: riskOf(r),
  }));
}

function riskOf(r: AccountRow): RiskLimits | undefined {
  const risk: RiskLimits = {};
  if (r.max_order !== null) risk.maxOrder = r.max_order;
  if (r.max_position !== null) risk.maxPosition = r.max_position;
  if (r.daily_loss !== null) risk.dailyLoss = decimalToNanoBig(String(r.daily_loss));
  if (r.flatten_before_close !== null) risk.flattenBeforeCloseMin = r.flatten_before_close;
  return Object.keys(risk).length ? risk : undefined;
}

/** A numeric column's decimal string as exact 1e-9 units. */
export function decimalToNanoBig(d: string): bigint {
  const neg = d.startsWith("-");
  const [w = "0", f = ""] = (neg ? d.slice(1) : d).split(".");
  const v = BigInt(w) * 1_000_000_000n + BigInt(f.padEnd(9, "0").slice(0, 9) || "0");
  return neg ? -v : v;
}

/** Everything the engine needs to continue where it stopped. */
/** The stored state of these accounts (of all, without a list). */
export async function loadSnapshot(db: Db, accountIds?: readonly number[]): Promise<EngineSnapshot> {
  if (accountIds && !accountIds.length) return { positions: [], orders: [], entries: [], days: [] };
  let pq = db.selectFrom("engine_positions").select("state");
  let oq = db.selectFrom("engine_orders").selectAll().where("status", "=", "working");
  let dq = db.selectFrom("engine_account_days").select(["account_id", "state"]);
  if (accountIds) {
    pq = pq.where("account_id", "in", accountIds);
    oq = oq.where("account_id", "in", accountIds);
    dq = dq.where("account_id", "in", accountIds);
  }
  const days = (await dq.execute()).map((r): [number, AccountDay] => [r.account_id, fromJson<AccountDay>(r.state)]);
  const positions = (await pq.execute()).map((r) => fromJson<Position>(r.state));
  const rows = await oq.orderBy("created_at").execute();
  const orders: WorkingOrder[] = [];
  const entries: EngineSnapshot["entries"] = [];
  for (const r of rows) {
    const o = fromJson<WorkingOrder>(r.order);
    orders.push({ ...o, filled: r.filled });
    if (r.bracket !== null && r.bracket !== undefined)
      entries.push([o.id, { orderId: o.id, bracket: fromJson<Bracket>(r.bracket) }]);
  }
  return { positions, orders, entries, days };
}

export interface StepWrite {
  positions: Position[];
  newOrders: { order: WorkingOrder; bracket?: Bracket }[];
  orderUpdates: {
    id: string;
    status: "working" | "filled" | "rejected" | "failed" | "cancelled";
    filled: number;
    note?: string;
  }[];
  events: EngineEvent[];
  closed: ClosedTrade[];
  /** Accounts' trading days as the batch left them (several per account: the last wins). */
  days: [number, AccountDay][];
}

/**
 * One batch of engine steps' durable changes as statements of the caller's script, run in one
 * transaction. One statement per table and kind, whatever the batch holds: a round trip costs
 * more than a row. Built synchronously: the state is read as it is now.
 */
export function writeStep(script: SqlScript, w: StepWrite): void {
  if (w.positions.length) {
    script.values(
      "insert into engine_positions (key, account_id, symbol, qty, version, state)",
      w.positions.map((p) => [p.key, p.accountId, p.symbol, p.qty, p.version, toJson(p)]),
      "on conflict (key) do update set qty = excluded.qty, version = excluded.version, state = excluded.state, updated_at = now()",
    );
  }
  if (w.newOrders.length) {
    // The same deterministic id twice means the action was already recorded: never a second order.
    script.values(
      'insert into engine_orders (id, account_id, symbol, purpose, status, qty, filled, "order", bracket, note)',
      w.newOrders.map(({ order: o, bracket }) => [
        o.id,
        o.accountId,
        o.symbol,
        o.purpose,
        "working",
        o.qty,
        0,
        toJson(o),
        bracket ? toJson(bracket) : null,
        null,
      ]),
      "on conflict (id) do nothing",
    );
  }
  if (w.orderUpdates.length) {
    // An order answered twice in one batch (working, then filled) ends as its last answer says.
    const last = [...new Map(w.orderUpdates.map((u) => [u.id, u])).values()];
    script.values(
      "update engine_orders as o set status = v.status, filled = v.filled, note = v.note, updated_at = now() from (",
      last.map((u) => [u.id, u.status, u.filled, u.note ?? null]),
      ") as v(id, status, filled, note) where o.id = v.id",
      ["text", "text", "int", "text"],
    );
  }
  if (w.events.length) {
    script.values(
      "insert into events (actor_kind, actor, user_id, account_id, symbol, kind, reason, data, trade_id)",
      w.events.map((e) => [
        e.actor.kind,
        e.actor.label.slice(0, 200),
        e.actor.userId,
        e.accountId,
        // An account-wide event (a risk lock) has no symbol.
        e.symbol || null,
        e.kind,
        e.reason,
        toJson({ ...e.data, ts: e.tsMs }),
        e.tradeId,
      ]),
    );
  }
  if (w.days.length) {
    const last = [...new Map(w.days).entries()];
    script.values(
      "insert into engine_account_days (account_id, state)",
      last.map(([id, d]) => [id, toJson(d)]),
      "on conflict (account_id) do update set state = excluded.state, updated_at = now()",
    );
  }
  if (w.closed.length) {
    script.values(
      "insert into closed_trades (trade_id, account_id, symbol, side, qty, entry, exit, opened_at, closed_at, realized, commissions, exit_reasons, fills)",
      w.closed.map((t) => [
        t.tradeId,
        t.accountId,
        t.symbol,
        t.side,
        t.qty,
        nanosToDecimal(t.entry),
        nanosToDecimal(t.exit),
        new Date(t.openedAtMs),
        new Date(t.closedAtMs),
        dollars(t.realized),
        dollars(t.commissions),
        toJson(t.exitReasons),
        toJson(t.fills),
      ]),
      "on conflict (trade_id) do nothing",
    );
  }
}

export async function orderStatus(
  db: Db,
  id: string,
): Promise<{ status: string; filled: number; note: string | null } | undefined> {
  return db.selectFrom("engine_orders").select(["status", "filled", "note"]).where("id", "=", id).executeTakeFirst();
}

export type { OrderRequest };
