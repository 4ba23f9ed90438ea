import { expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A server that cannot start says why in one JSON line and exits non-zero; it never hangs half-started. */
test("serve on a port already in use: exit 1 with one JSON line, nothing left running", async () => {
  const busy = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("taken") });
  try {
    const { DATABASE_URL: _ignored, ...env } = process.env;
    const p = Bun.spawn(["bun", join(import.meta.dir, "../main.ts"), "serve"], {
      env: {
        ...env,
        PORT: String(busy.port),
        HOST: "127.0.0.1",
        FEED: "off",
        SECRET_KEY: "33".repeat(32),
        DATA_DIR: mkdtempSync(join(tmpdir(), "serve-busy-")),
      },
      stdout: "pipe",
      stderr: "pipe",
    });
    const killer = setTimeout(() => p.kill("SIGKILL"), 30_000);
    const code = await p.exited;
    clearTimeout(killer);
    expect(code).toBe(1);
    const errors = (await new Response(p.stdout).text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l))
      .filter((l) => l.level === "error");
    expect(errors.length).toBe(1);
    expect(errors[0]).toMatchObject({ event: "server.start_failed" });
    expect(String(errors[0].reason)).toMatch(/port|in use|EADDRINUSE/i);
    expect((await new Response(p.stderr).text()).trim()).toBe("");
  } finally {
    busy.stop(true);
  }
}, 40_000);
