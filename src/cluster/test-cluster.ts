import { join } from "node:path";
import type { Subprocess } from "bun";
import { sql } from "kysely";
import { connectDatabase, type DatabaseHandle } from "../persistence/connect";
import { migrateUp } from "../persistence/migrator";

/**
 * For tests: real server processes on one Postgres schema and one NATS server, as an operator
 * runs them. Each instance's JSON log lines are kept for the assertions.
 */
export const testPostgresUrl = process.env.DATABASE_URL;
export const testNatsUrl = process.env.TEST_NATS_URL ?? process.env.NATS_URL ?? "nats://127.0.0.1:4222";

export async function natsReachable(url = testNatsUrl): Promise<boolean> {
  const { hostname, port } = new URL(url.split(",")[0]!.replace(/^nats:/, "http:"));
  return new Promise((resolve) => {
    const s = Bun.connect({ hostname, port: Number(port || 4222), socket: { open: (sock) => (sock.end(), resolve(true)), data() {}, error: () => resolve(false), connectError: () => resolve(false) } }).catch(() => resolve(false));
    void s;
    setTimeout(() => resolve(false), 2000);
  });
}

export interface Instance {
  index: number;
  port: number;
  url: string;
  proc: Subprocess<"ignore", "pipe", "pipe">;
  logs: Record<string, unknown>[];
}

export class TestCluster {
  readonly instances: (Instance | undefined)[] = [];
  private constructor(
    readonly db: DatabaseHandle,
    readonly schema: string,
    private readonly env: Record<string, string>,
    private readonly basePort: number,
  ) {}

  /** A fresh schema, migrated; instances are started with `start(i)`. */
  static async create(env: Record<string, string> = {}): Promise<TestCluster> {
    const url = testPostgresUrl!;
    const schema = `c_${crypto.randomUUID().replaceAll("-", "").slice(0, 20)}`;
    const db = await connectDatabase({ databaseUrl: url, dataDir: "", schema, poolSize: 4 });
    await migrateUp(db.db);
    const dbUrl = `${url}${url.includes("?") ? "&" : "?"}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
    const basePort = 40000 + ((process.pid * 7) % 2000) * 10;
    return new TestCluster(db, schema, {
      DATABASE_URL: dbUrl, NATS_URL: testNatsUrl, FEED: "simulated", LOG_LEVEL: "info", SECRET_KEY: "33".repeat(32),
      LEASE_TTL_MS: "1500", DATA_DIR: join("/tmp", `cluster-${schema}`), ...env,
    }, basePort);
  }

  cli(args: string[], stdin = ""): Subprocess<Blob, "pipe", "pipe"> {
    return Bun.spawn(["bun", join(import.meta.dir, "../main.ts"), ...args], { env: { ...process.env, ...this.env, NATS_URL: "" }, stdin: new Blob([stdin]), stdout: "pipe", stderr: "pipe" });
  }

  /** Creates a user with a token and returns the token. */
  async user(name: string): Promise<string> {
    const add = this.cli(["user", "add", name], "a long enough password\n");
    if ((await add.exited) !== 0) throw new Error(`user add ${name}: ${await new Response(add.stderr).text()}`);
    const tok = this.cli(["token", "create", "t", "--user", name]);
    const out = await new Response(tok.stdout).text();
    if ((await tok.exited) !== 0) throw new Error(`token create: ${out}`);
    return out.trim().split("\n").at(-1)!;
  }

  async start(index: number, extra: Record<string, string> = {}): Promise<Instance> {
    const port = this.basePort + index;
    const proc = Bun.spawn(["bun", join(import.meta.dir, "../main.ts"), "serve"], {
      env: { ...process.env, ...this.env, PORT: String(port), ...extra },
      stdin: "ignore", stdout: "pipe", stderr: "pipe",
    });
    const inst: Instance = { index, port, url: `http://127.0.0.1:${port}`, proc, logs: [] };
    void (async () => {
      const dec = new TextDecoder();
      let rest = "";
      for await (const chunk of proc.stdout as unknown as AsyncIterable<Uint8Array>) {
        rest += dec.decode(chunk, { stream: true });
        const lines = rest.split("\n");
        rest = lines.pop()!;
        for (const l of lines) if (l.trim()) inst.logs.push(JSON.parse(l));
      }
    })().catch(() => {});
    this.instances[index] = inst;
    await until(async () => (await fetch(`${inst.url}/healthz`).catch(() => undefined))?.ok === true, 30_000);
    return inst;
  }

  async health(index: number): Promise<any> {
    return (await fetch(`${this.instances[index]!.url}/healthz`)).json();
  }

  kill(index: number, signal: NodeJS.Signals = "SIGKILL"): Promise<number> {
    const inst = this.instances[index]!;
    inst.proc.kill(signal);
    return inst.proc.exited;
  }

  async stop(): Promise<void> {
    for (const i of this.instances) {
      if (!i) continue;
      i.proc.kill("SIGCONT");
      i.proc.kill("SIGKILL");
    }
    await Promise.all(this.instances.map((i) => i?.proc.exited));
    await sql`drop schema if exists ${sql.id(this.schema)} cascade`.execute(this.db.db).catch(() => {});
    await this.db.close();
  }
}

export async function until(ok: () => Promise<boolean> | boolean, ms = 30_000, what = "condition"): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(50);
  }
}
