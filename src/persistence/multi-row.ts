import { CompiledQuery, type Transaction } from "kysely";
import type { Database } from "./database";

/** Rows per statement: far below Postgres's 65,535 parameters for the widest table written this way. */
const ROWS_PER_STATEMENT = 1000;

/**
 * A statement over a VALUES list (multi-row insert, update or delete) written as text with numbered parameters: the hot writes of an engine
 * batch skip building a Kysely query tree per row, which cost more than the round trip.
 * `head` is the statement up to its VALUES list, `tail` what follows it; `casts` are the
 * columns' types where Postgres cannot infer them ("" where it can).
 */
export async function withValues(
  trx: Transaction<Database>,
  head: string,
  rows: readonly (readonly unknown[])[],
  tail = "",
  casts: readonly string[] = [],
): Promise<void> {
  for (let from = 0; from < rows.length; from += ROWS_PER_STATEMENT) {
    const chunk = rows.slice(from, from + ROWS_PER_STATEMENT);
    const params: unknown[] = [];
    const tuples: string[] = [];
    for (const row of chunk) {
      const slots: string[] = [];
      for (let i = 0; i < row.length; i++) {
        params.push(row[i]);
        slots.push(casts[i] ? `$${params.length}::${casts[i]}` : `$${params.length}`);
      }
      tuples.push(`(${slots.join(",")})`);
    }
    await trx.executeQuery(CompiledQuery.raw(`${head} values ${tuples.join(",")} ${tail}`, params));
  }
}
