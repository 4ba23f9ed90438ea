import { migrations } from "../../migrations";
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli, type CliIo } from "./cli";

/**
 * The CLI against a real database: its own PGlite data dir, or its own schema on the Postgres
 * server (the schema rides in the connection's search_path).
 */
// Each command opens the embedded database afresh, as a real invocation does: seconds, not ms.
setDefaultTimeout(120_000);
const dir = mkdtempSync(join(tmpdir(), "cli-"));
const schema = `cli_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
const env: Record<string, string> = { DATA_DIR: dir, LOG_LEVEL: "error", SECRET_KEY: "22".repeat(32) };
if (process.env.DATABASE_URL) {
  const url = new URL(process.env.DATABASE_URL);
  url.searchParams.set("options", `-c search_path=${schema}`);
  env.DATABASE_URL = url.toString();
}

async function cli(args: string[], stdin = "") {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), readStdin: async () => stdin };
  const code = await runCli(args, io, env);
  return { code, out, err };
}

/** One statement on the Postgres server, outside the schema the CLI runs in. */
async function onServer(sql: string): Promise<void> {
  const pg = (await import("pg")).default;
  const c = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await c.connect();
  await c.query(sql);
  await c.end();
}

// The schema the connection's search_path names must exist before the first command.
beforeAll(async () => {
  if (process.env.DATABASE_URL) await onServer(`create schema ${schema}`);
});

afterAll(async () => {
  if (process.env.DATABASE_URL) await onServer(`drop schema if exists ${schema} cascade`);
  rmSync(dir, { recursive: true, force: true });
});

describe(`cli (${process.env.DATABASE_URL ? "postgres" : "pglite"})`, () => {
  test("help, and an unknown command", async () => {
    expect((await cli(["help"])).out.join("\n")).toContain("token create <name>");
    const r = await cli(["frobnicate"]);
    expect(r.code).toBe(2);
    expect(r.err[0]).toContain('unknown command "frobnicate"');
  });

  test("a bad environment value is one clear line", async () => {
    const out: string[] = [];
    const code = await runCli(
      ["migrate", "status"],
      { out: () => {}, err: (l) => out.push(l), readStdin: async () => "" },
      { ...env, PORT: "x" },
    );
    expect(code).toBe(1);
    expect(out).toEqual([expect.stringMatching(/^error: invalid configuration: PORT:/)]);
  });

  test("migrate up / status / down / up", async () => {
    expect((await cli(["migrate", "up"])).out.at(-1)).toBe("database is up to date");
    expect((await cli(["migrate", "status"])).out[0]).toMatch(/^applied\s+0001_foundation/);
    const names = Object.keys(migrations);
    const last = names.at(-1)!;
    expect((await cli(["migrate", "down"])).out).toEqual([`reverted ${last}`]);
    const status = (await cli(["migrate", "status"])).out;
    expect(status.length).toBe(names.length);
    expect(status[0]).toMatch(/^applied\s+0001_foundation/);
    expect(status.at(-1)).toMatch(new RegExp(`^pending\\s+${last}$`));
    expect((await cli(["migrate", "up"])).code).toBe(0);
    expect((await cli(["migrate", "sideways"])).code).toBe(1);
  });

  test("user add reads the password from stdin", async () => {
    expect((await cli(["user", "add", "carol"])).err[0]).toContain("no password on stdin");
    const r = await cli(["user", "add", "carol"], "a proper long password\n");
    expect(r.code).toBe(0);
    expect(r.out[0]).toContain("created user carol");
    expect((await cli(["user", "add", "carol"], "a proper long password\n")).err[0]).toContain("already exists");
    expect((await cli(["user", "add", "dave"], "short\n")).err[0]).toContain("at least 10 characters");
  });

  test("token create prints the token alone on the last line; list and revoke", async () => {
    const r = await cli(["token", "create", "ci-bot"]);
    expect(r.code).toBe(0);
    const token = r.out.at(-1)!;
    expect(token).toMatch(/^tma_[A-Za-z0-9_-]{43}$/);
    expect((await cli(["token", "create", "ci-bot"])).err[0]).toContain("already exists");
    expect((await cli(["token", "list"])).out[0]).toStartWith("ci-bot\t");
    expect((await cli(["token", "list"])).out.join("\n")).not.toContain(token);
    expect((await cli(["token", "revoke", "ci-bot"])).out[0]).toBe('revoked API token "ci-bot"');
    expect((await cli(["token", "revoke", "ci-bot"])).code).toBe(1);
    await cli(["user", "add", "erin"], "another long password\n");
    expect((await cli(["token", "create", "x"])).err[0]).toContain("several users exist");
    expect((await cli(["token", "create", "x", "--user", "erin"])).code).toBe(0);
    expect((await cli(["token", "create", "x", "--user", "nobody"])).err[0]).toContain('no user named "nobody"');
  });
});
