import { createServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { sql } from "kysely";
import { ApiTokensService } from "../auth/api-tokens-service";
import { UsersService } from "../auth/users-service";
import { connectDatabase, type DatabaseHandle } from "../persistence/connect";
import { migrateUp } from "../persistence/migrator";
import { nginxAvailable } from "../web/nginx-proxy";

/**
 * For tests: real server processes on one Postgres schema and one NATS server, as an operator
 * runs them. Each instance's JSON log lines are kept for the assertions.
 */
export const testPostgresUrl = process.env.DATABASE_URL;
export const testNatsUrl = process.env.TEST_NATS_URL ?? process.env.NATS_URL ?? "nats://127.0.0.1:4222";

export async function natsReachable(url = testNatsUrl): Promise<boolean> {
  const { hostname, port } = new URL(url.split(",")[0]!.replace(/^nats:/, "http:"));
  return new Promise((resolve) => {
    const s = Bun.connect({
      hostname,
      port: Number(port || 4222),
      socket: {
        open: (sock) => (sock.end(), resolve(true)),
        data() {},
        error: () => resolve(false),
        connectError: () => resolve(false),
      },
    }).catch(() => resolve(false));
    void s;
    setTimeout(() => resolve(false), 2000);
  });
}

/** The nats-server binary, when installed (Debian puts it in /usr/sbin). */
export const NATS_SERVER =
  Bun.which("nats-server") ?? Bun.which("nats-server", { PATH: "/usr/sbin:/usr/local/sbin:/usr/local/bin" });

/**
 * A NATS server of the test's own on a free loopback port, when the binary is installed. The
 * instances' subjects carry no name of their cluster (tm.http.<shard>, tm.user.<id>, ...), so
 * clusters of tests running at the same time on one NATS server would answer each other's
 * requests; a private server keeps a test's cluster alone.
 */
/**
 * What the cluster suites need here: Postgres, NATS (its own server when the binary is there, since
 * subjects are not namespaced per cluster and a test running meanwhile on the shared server would
 * answer this cluster's requests; else the shared one) and nginx; `missing` names what is not.
 */
export async function clusterPrerequisites(): Promise<{
  haveDb: boolean;
  haveNats: boolean;
  haveNginx: boolean;
  missing: string;
}> {
  const haveDb = Boolean(testPostgresUrl);
  const haveNats = haveDb && (Boolean(NATS_SERVER) || (await natsReachable()));
  const haveNginx = nginxAvailable();
  const missing = [
    !haveDb && "Postgres (DATABASE_URL)",
    haveDb && !haveNats && "NATS (TEST_NATS_URL or nats://127.0.0.1:4222)",
    !haveNginx && "nginx (/usr/sbin/nginx)",
  ]
    .filter(Boolean)
    .join(", ");
  return { haveDb, haveNats, haveNginx, missing };
}

/**
 * A NATS server for one cluster test: its own when the binary is there, else the shared one
 * (with a warning: another cluster on it would interfere); `stop` stops only its own.
 */
export async function clusterNats(test: string): Promise<{ url: string; stop(): Promise<void> }> {
  const own = await startPrivateNats();
  if (own) return own;
  console.warn(
    `${test}: no nats-server binary; using the shared ${testNatsUrl} (another cluster on it would interfere)`,
  );
  return { url: testNatsUrl, async stop() {} };
}

async function startPrivateNats(): Promise<{ url: string; stop(): Promise<void> } | undefined> {
  if (!NATS_SERVER) return undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = createServer();
      s.once("error", reject);
      s.listen(0, "127.0.0.1", () => {
        const p = (s.address() as AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const proc = Bun.spawn([NATS_SERVER, "-a", "127.0.0.1", "-p", String(port)], {
      stdout: "ignore",
      stderr: "ignore",
    });
    const url = `nats://127.0.0.1:${port}`;
    const end = Date.now() + 5000;
    while (Date.now() < end && proc.exitCode === null && !(await natsReachable(url))) await Bun.sleep(50);
    if (proc.exitCode === null && (await natsReachable(url))) {
      return {
        url,
        async stop() {
          proc.kill("SIGTERM");
          await proc.exited;
        },
      };
    }
    proc.kill("SIGKILL");
  }
  return undefined;
}

export interface Instance {
  index: number;
  port: number;
  url: string;
  proc: Subprocess<"ignore", "pipe", "pipe">;
  logs: Record<string, unknown>[];
  /** What the process wrote to stderr (drained, so a chatty process never blocks on a full pipe). */
  stderr: string[];
}

export class TestCluster {
  readonly instances: (Instance | undefined)[] = [];
  /** Every instance ever started here, restarts included: their logs stay for the assertions. */
  readonly started: Instance[] = [];
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
    // Below Linux's ephemeral range (32768–60999), where servers of other tests listening on port 0 land.
    const basePort = await freeBase(20000 + ((process.pid * 7) % 1000) * 10);
    return new TestCluster(
      db,
      schema,
      {
        DATABASE_URL: dbUrl,
        NATS_URL: testNatsUrl,
        FEED: "simulated",
        LOG_LEVEL: "info",
        SECRET_KEY: "33".repeat(32),
        LEASE_TTL_MS: "1500",
        DATA_DIR: join("/tmp", `cluster-${schema}`),
        ...env,
      },
      basePort,
    );
  }

  cli(args: string[], stdin = ""): Subprocess<Blob, "pipe", "pipe"> {
    return Bun.spawn(["bun", join(import.meta.dir, "../main.ts"), ...args], {
      env: { ...process.env, ...this.env, NATS_URL: "" },
      stdin: new Blob([stdin]),
      stdout: "pipe",
      stderr: "pipe",
    });
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

  /**
   * Many users at once, each with its accounts (paper, live) and a token, written through the
   * app's own services on this handle: no CLI process per user.
   */
  async users(names: string[]): Promise<{ name: string; id: number; token: string }[]> {
    const users = new UsersService(this.db.db);
    const tokens = new ApiTokensService(this.db.db);
    const actor = { kind: "cli" as const, label: "test-cluster", userId: null };
    return await Promise.all(
      names.map(async (name) => {
        const u = await users.create(name, "a long enough password", actor);
        const { token } = await tokens.create(u.id, "t", actor);
        return { name, id: u.id, token };
      }),
    );
  }

  async start(index: number, extra: Record<string, string> = {}): Promise<Instance> {
    const port = this.basePort + index;
    const proc = Bun.spawn(["bun", join(import.meta.dir, "../main.ts"), "serve"], {
      env: { ...process.env, ...this.env, PORT: String(port), ...extra },
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    const inst: Instance = { index, port, url: `http://127.0.0.1:${port}`, proc, logs: [], stderr: [] };
    void (async () => {
      const dec = new TextDecoder();
      let rest = "";
      for await (const chunk of proc.stdout as unknown as AsyncIterable<Uint8Array>) {
        rest += dec.decode(chunk, { stream: true });
        const lines = rest.split("\n");
        rest = lines.pop()!;
        for (const l of lines) {
          if (!l.trim()) continue;
          // A line that is not JSON is kept as text; the pipe goes on being drained either way.
          try {
            inst.logs.push(JSON.parse(l));
          } catch {
            inst.logs.push({ event: "non_json_line", text: l });
          }
        }
      }
    })().catch(() => {});
    void (async () => {
      const dec = new TextDecoder();
      for await (const chunk of proc.stderr as unknown as AsyncIterable<Uint8Array>) {
        inst.stderr.push(dec.decode(chunk, { stream: true }));
        if (inst.stderr.length > 1000) inst.stderr.shift();
      }
    })().catch(() => {});
    this.instances[index] = inst;
    this.started.push(inst);
    // Up, or gone (a port taken meanwhile, a failed start): then say why at once.
    await until(
      async () => proc.exitCode !== null || (await fetch(`${inst.url}/healthz`).catch(() => undefined))?.ok === true,
      30_000,
      `instance ${index} on port ${port} to answer /healthz`,
    );
    if (proc.exitCode !== null) {
      const last = inst.logs
        .slice(-3)
        .map((l) => JSON.stringify(l))
        .join("\n");
      throw new Error(
        `instance ${index} (port ${port}) exited with ${proc.exitCode} while starting:\n${last}\n${inst.stderr.join("").slice(-1000)}`,
      );
    }
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

  /** Sends a signal without waiting for the process (SIGSTOP, SIGCONT). */
  signal(index: number, signal: NodeJS.Signals): void {
    this.instances[index]!.proc.kill(signal);
  }

  /** A clean stop (SIGTERM: the instance hands its leases over at once); SIGKILL if it has not exited within `ms`. */
  async terminate(index: number, ms = 20_000): Promise<number> {
    const inst = this.instances[index]!;
    inst.proc.kill("SIGCONT");
    inst.proc.kill("SIGTERM");
    const timer = setTimeout(() => inst.proc.kill("SIGKILL"), ms);
    const code = await inst.proc.exited;
    clearTimeout(timer);
    return code;
  }

  /** The instance (index) whose process holds a lease id (`host:pid:random`), if it is one of ours and running. */
  indexOfOwner(owner: string | null | undefined): number | undefined {
    if (!owner) return undefined;
    const pid = Number(owner.split(":")[1]);
    const i = this.instances.findIndex((x) => x?.proc.pid === pid);
    return i < 0 ? undefined : i;
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

/** The first of these bases whose 10 ports nothing listens on (another test's cluster may run at the same time). */
async function freeBase(preferred: number): Promise<number> {
  const bindable = (port: number) =>
    new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once("error", () => resolve(false));
      s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
    });
  for (let attempt = 0; attempt < 20; attempt++) {
    const base = attempt === 0 ? preferred : 20000 + Math.floor(Math.random() * 1000) * 10;
    let ok = true;
    for (let i = 0; i < 10 && ok; i++) ok = await bindable(base + i);
    if (ok) return base;
  }
  return preferred;
}

export async function until(ok: () => Promise<boolean> | boolean, ms = 30_000, what = "condition"): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(50);
  }
}
