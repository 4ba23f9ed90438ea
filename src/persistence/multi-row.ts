import { CompiledQuery, type Transaction } from "kysely";
import type { Database } from "./database";

/** How a script sent as one query starts (a comment), and how its statements are joined: the SQL counter reads both. */
export const SCRIPT_MARK = "/* one transaction */ ";
export const STATEMENT_BREAK = ";\n";

/** Rows per statement: keeps each statement's text to a few hundred kilobytes at most. */
const ROWS_PER_STATEMENT = 1000;

/**
 * A value as SQL text. Strings are quoted with `'` doubled, and with backslashes doubled in
 * the E'' form when they hold one, so the text means the same whatever the server's
 * standard_conforming_strings says (the same rule as pg's escapeLiteral).
 */
export function literal(v: unknown): string {
  if (v === null || v === undefined) return "NULL";
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw new Error(`not a finite number: ${v}`);
    return String(v);
  }
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "boolean") return v ? "true" : "false";
  if (v instanceof Date) return `'${v.toISOString()}'`;
  const s = String(v);
  const quoted = s.replaceAll("'", "''");
  return s.includes("\\") ? ` E'${quoted.replaceAll("\\", "\\\\")}'` : `'${quoted}'`;
}

/**
 * The statements of one engine batch as text, values inline: the whole batch is sent to
 * Postgres in one round trip (a simple-protocol query runs several statements) instead of one
 * per statement, and no query tree is built per row. Every value goes through `literal`.
 */
export class SqlScript {
  readonly statements: string[] = [];

  /** A statement over a VALUES list (multi-row insert, update or delete): `head` values (...), (...) `tail`; `casts` where Postgres cannot infer a type. */
  values(head: string, rows: readonly (readonly unknown[])[], tail = "", casts: readonly string[] = []): void {
    for (let from = 0; from < rows.length; from += ROWS_PER_STATEMENT) {
      const tuples: string[] = [];
      for (let r = from; r < Math.min(rows.length, from + ROWS_PER_STATEMENT); r++) {
        const row = rows[r]!;
        let t = "(";
        for (let i = 0; i < row.length; i++) t += (i ? "," : "") + literal(row[i]) + (casts[i] ? `::${casts[i]}` : "");
        tuples.push(t + ")");
      }
      this.statements.push(`${head} values ${tuples.join(",")} ${tail}`);
    }
  }

  /**
   * Inside the caller's transaction. On Postgres the statements go as one simple query (one
   * round trip); PGlite's driver takes one statement per query, in process, so they go one by one.
   */
  async run(trx: Transaction<Database>, oneQuery: boolean): Promise<void> {
    if (!this.statements.length) return;
    if (oneQuery) return void (await trx.executeQuery(CompiledQuery.raw(this.statements.join(STATEMENT_BREAK), [])));
    for (const s of this.statements) await trx.executeQuery(CompiledQuery.raw(s, []));
  }
}
