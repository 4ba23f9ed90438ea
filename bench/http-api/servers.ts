// Our server as the bench starts it (the binary, or the source), and what every started server offers.
import { $ } from "bun";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Target } from "../http-api-load";
import { dir, OURS_CMD, useBinary } from "./options";

/** A server started for a round, a counting pass or a start-up measurement. */
export interface Running extends Target {
  pid: number;
  stop(): Promise<void>;
}

export interface Server {
  label: string;
  /** `tag` names its log file; `databaseUrl` replaces its own (the counting proxy's). */
  start(tag: string, databaseUrl?: string): Promise<Running>;
}

export function freePort(): number {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = s.port;
  s.stop(true);
  return port;
}

export function rssMb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024;
}

export async function waitHealthy(base: string, proc: Bun.Subprocess, timeoutMs = 30_000): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < timeoutMs) {
    const r = await fetch(`${base}/healthz`).catch(() => undefined);
    if (r?.status === 200) return performance.now() - t0;
    if (proc.exitCode !== null) throw new Error(`server exited with ${proc.exitCode}`);
    await Bun.sleep(5);
  }
  throw new Error("server did not become healthy");
}

export function spawnOurs(databaseUrl: string | undefined, dataDir: string, logFile: string) {
  const port = freePort();
  const env = {
    PATH: process.env.PATH ?? "",
    PORT: String(port),
    DATA_DIR: dataDir,
    LOG_LEVEL: "info",
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
  };
  // A child's output to a Bun.file does not truncate it: an older log would show through.
  writeFileSync(join(dir, logFile), "");
  const log = Bun.file(join(dir, logFile));
  return { proc: Bun.spawn(OURS_CMD, { env, stdout: log, stderr: log }), base: `http://127.0.0.1:${port}` };
}

export async function expectOk(label: string, answer: Promise<Response>): Promise<void> {
  const r = await answer;
  if (r.status !== 200) throw new Error(`${label}: ${r.status} ${await r.text()}`);
}

/** src/'s last commit, and a hash of what differs from it: the source is read anew at every start. */
export async function srcVersion(): Promise<string> {
  const commit = (await $`git log -1 --format=%h -- src`.text()).trim();
  const changes =
    (await $`git diff HEAD -- src`.text()) + (await $`git ls-files --others --exclude-standard -- src`.text());
  return changes ? `${commit} + uncommitted changes ${Bun.hash(changes).toString(16).slice(0, 8)}` : commit;
}

/** The source each start of ours ran, when it is the source. */
export const versions = new Set<string>();

export function ours(databaseUrl: string | undefined, token: string): Server {
  const headers = { authorization: `Bearer ${token}` };
  return {
    label: "ours",
    async start(tag, url = databaseUrl) {
      if (!useBinary) versions.add(await srcVersion());
      const { proc, base } = spawnOurs(url, dir, `ours-${tag}.log`);
      await waitHealthy(base, proc);
      return {
        label: "ours",
        base,
        headers,
        pid: proc.pid,
        clear: (symbol) =>
          expectOk("ours: clear_trade", fetch(`${base}/api/clear_trade/${symbol}`, { method: "POST", headers })),
        stop: async () => void (proc.kill(), await proc.exited),
      };
    },
  };
}
