import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sql } from "kysely";
import type { DatabaseHandle } from "./connect";
import { literal, SqlScript } from "./multi-row";
import { createTestDatabase, testDatabaseKind } from "./test-database";

let h: DatabaseHandle;
beforeAll(async () => {
  h = await createTestDatabase();
  await sql`create table t_literal (n int, s text, j jsonb, b boolean, d numeric)`.execute(h.db);
});
afterAll(async () => {
  await h.close();
});

// Text that must come back exactly as it went in: quotes, backslashes, an injection attempt,
// JSON with escapes, non-ASCII, an empty string.
const nasty = [
  "it's",
  "a\\b",
  "\\'; drop table t_literal; --",
  "'); delete from t_literal; --",
  '{"q":"\\"x\\""}',
  "ünï ✓ 価格",
  "",
  "line\nbreak\ttab",
  "$1 $$ $tag$",
];

describe(`statements with values inline (${testDatabaseKind})`, () => {
  test("every value comes back exactly as it went in, whichever way the script is run", async () => {
    const postgres = testDatabaseKind === "postgres";
    // Postgres: also with the old string rule (backslash escapes in '' strings), which E'' text must survive.
    for (const [oneQuery, conforming] of [
      [false, "on"],
      [true, "on"],
      [true, "off"],
    ] as const) {
      if (oneQuery && !postgres) continue;
      await sql`delete from t_literal`.execute(h.db);
      const script = new SqlScript();
      script.values(
        "insert into t_literal (n, s, j, b, d)",
        nasty.map((s, i) => [i - 3, s, JSON.stringify({ s }), i % 2 === 0, "-12345.000000001"]),
      );
      script.values("insert into t_literal (n, s)", [[100, null]]);
      await h.db.transaction().execute(async (trx) => {
        if (postgres) await sql.raw(`set local standard_conforming_strings = ${conforming}`).execute(trx);
        await script.run(trx, oneQuery);
      });
      const rows = await sql<{
        n: number;
        s: string | null;
        j: { s: string } | null;
        b: boolean | null;
        d: string | null;
      }>`select n, s, j, b, d::text as d from t_literal order by n`.execute(h.db);
      expect(rows.rows.map((r) => r.s)).toEqual([...nasty, null]);
      expect(rows.rows.slice(0, -1).map((r) => (typeof r.j === "string" ? JSON.parse(r.j) : r.j)!.s)).toEqual(nasty);
      expect(rows.rows[0]).toMatchObject({ n: -3, b: true, d: "-12345.000000001" });
    }
  });

  test("a statement that fails rolls the whole script back", async () => {
    await sql`delete from t_literal`.execute(h.db);
    const script = new SqlScript();
    script.values("insert into t_literal (n)", [[1]]);
    script.values("insert into t_literal (n)", [["not a number"]]);
    const run = h.db.transaction().execute((trx) => script.run(trx, testDatabaseKind === "postgres"));
    await expect(run).rejects.toThrow();
    expect((await sql<{ c: string }>`select count(*)::text as c from t_literal`.execute(h.db)).rows[0]!.c).toBe("0");
  });

  test("literals", () => {
    expect(literal(null)).toBe("NULL");
    expect(literal(12n)).toBe("12");
    expect(literal("a'b")).toBe("'a''b'");
    expect(literal("a\\'b")).toBe(" E'a\\\\''b'");
    expect(() => literal(Number.NaN)).toThrow();
  });
});
