// Builds the single binary, copies it ALONE into an empty temp dir, starts it there and checks
// that it serves /healthz and the login page (PGlite, assets, views all from inside the binary).
import { $ } from "bun";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

await $`bun run build`.quiet();
const dir = mkdtempSync(join(tmpdir(), "trading-app-bin-"));
const bin = join(dir, "trading-app");
copyFileSync("dist/trading-app", bin);
await $`chmod +x ${bin}`;
const port = 20000 + Math.floor(Math.random() * 20000);
const proc = Bun.spawn([bin, "serve"], {
  cwd: dir,
  env: { PATH: process.env.PATH ?? "", PORT: String(port), HOME: dir },
  stdout: "pipe",
  stderr: "pipe",
});
const base = `http://127.0.0.1:${port}`;
let failure: string | undefined;
try {
  const deadline = Date.now() + 60_000;
  let health: Response | undefined;
  while (Date.now() < deadline) {
    health = await fetch(`${base}/healthz`).catch(() => undefined);
    if (health) break;
    if (proc.exitCode !== null) throw new Error(`binary exited with ${proc.exitCode}`);
    await Bun.sleep(200);
  }
  if (health?.status !== 200) throw new Error(`/healthz answered ${health?.status ?? "nothing"}`);
  const body = (await health.json()) as { status: string; database: { kind: string } };
  if (body.status !== "ok" || body.database.kind !== "pglite")
    throw new Error(`unexpected health ${JSON.stringify(body)}`);
  const login = await fetch(`${base}/login`);
  const html = await login.text();
  if (login.status !== 200 || !html.includes("Sign in")) throw new Error(`/login answered ${login.status}`);
  for (const asset of ["/vendor/htmx.min.js", "/static/css/app.css", "/static/js/desk.js"]) {
    const r = await fetch(base + asset);
    if (r.status !== 200 || (await r.arrayBuffer()).byteLength < 100) throw new Error(`${asset} answered ${r.status}`);
  }
  console.log(`binary ok: ran alone in ${dir}, /healthz ok on pglite, /login and assets served`);
} catch (err) {
  failure = (err as Error).message;
} finally {
  proc.kill();
  await proc.exited;
  if (failure) {
    console.error(
      `binary check FAILED: ${failure}\n--- binary output ---\n${await new Response(proc.stdout).text()}${await new Response(proc.stderr).text()}`,
    );
  }
  rmSync(dir, { recursive: true, force: true });
}
if (failure) process.exit(1);
