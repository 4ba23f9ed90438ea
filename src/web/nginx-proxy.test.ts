import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer, type RunningServer } from "../app/server";
import { loadConfig } from "../config/config";
import { memoryLogger } from "../log/logger";
import { freePort, nginxAvailable, opensslAvailable, startProxy, type RunningProxy } from "./nginx-proxy";
import { until } from "../shared/testing";

/**
 * docs/deploy/nginx.conf.template in front of a real server, over TLS: what the app believes
 * of the forwarded headers from its trusted proxy, and what a browser sees through it.
 */
const missing = [!nginxAvailable() && "nginx (/usr/sbin/nginx)", !opensslAvailable() && "openssl"].filter(
  (m): m is string => Boolean(m),
);
const skip = missing.length > 0;
const why = skip ? ` — SKIPPED: ${missing.join(" and ")} not installed` : "";
if (skip) console.warn(`nginx-proxy.test.ts${why} (Debian: apt-get install nginx openssl)`);

const insecure = { tls: { rejectUnauthorized: false } };
const cli = { kind: "cli" as const, label: "test", userId: null };
const PASSWORD = "a long enough password";

/**
 * On one host the client and the proxy both come from 127.0.0.1, which would make "the app used
 * X-Forwarded-For" unprovable; nginx connects to the app from 127.0.0.2 instead when it can.
 */
async function loopbackAlias(): Promise<string | undefined> {
  return await new Promise((resolve) => {
    const s = net.createServer();
    s.once("error", () => resolve(undefined));
    s.listen(0, "127.0.0.2", () => s.close(() => resolve("127.0.0.2")));
  });
}

let server: RunningServer;
let proxy: RunningProxy;
let plain: RunningProxy;
let proxyPeer: string;
let userId: number;
const logs = memoryLogger("info");
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const cookiesOf = (res: Response) =>
  Object.fromEntries(
    res.headers.getSetCookie().map((c) => {
      const [pair = ""] = c.split(";");
      const eq = pair.indexOf("=");
      return [pair.slice(0, eq), { value: pair.slice(eq + 1), attributes: c }];
    }),
  );

/** GET /login, then POST it, as a browser does: the double-submit cookie and the form's field. */
async function login(password: string, extra: Record<string, string> = {}): Promise<Response> {
  const page = await fetch(`${proxy.url}/login`, insecure);
  const pre = cookiesOf(page).pre_csrf;
  const field = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1];
  expect(pre?.value).toBeTruthy();
  expect(field).toBeTruthy();
  return await fetch(`${proxy.url}/login`, {
    ...insecure,
    method: "POST",
    redirect: "manual",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      cookie: `pre_csrf=${pre!.value}`,
      origin: proxy.url,
      ...extra,
    },
    body: new URLSearchParams({ username: "proxied", password, _csrf: field!, next: "/" }).toString(),
  });
}

describe.skipIf(skip)(`behind nginx (docs/deploy/nginx.conf.template)${why}`, () => {
  beforeAll(async () => {
    if (skip) return;
    const alias = await loopbackAlias();
    proxyPeer = alias ?? "127.0.0.1";
    const appPort = await freePort();
    proxy = await startProxy({ backends: [`127.0.0.1:${appPort}`], tls: true, bind: alias });
    plain = await startProxy({ backends: [`127.0.0.1:${appPort}`], tls: false });
    const dataDir = mkdtempSync(join(tmpdir(), "nginx-app-"));
    dirs.push(dataDir);
    server = await startServer(
      loadConfig({
        PORT: String(appPort),
        DATA_DIR: dataDir,
        SECRET_KEY: "77".repeat(32),
        FEED: "simulated",
        TRUST_PROXY: proxyPeer,
        PUBLIC_URL: proxy.url,
      }),
      logs,
    );
    userId = (await server.ctx.users.create("proxied", PASSWORD, cli)).id;
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    await proxy?.stop();
    await plain?.stop();
  });

  test("/healthz over HTTPS; HTTP is redirected to HTTPS; one HSTS header, the app's own security headers", async () => {
    const res = await fetch(`${proxy.url}/healthz`, insecure);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { status: string }).status).toBe("ok");
    expect(res.headers.get("strict-transport-security")).toBe("max-age=31536000; includeSubDomains");
    expect(res.headers.get("content-security-policy")).toContain("default-src 'self'");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("x-request-id")).toBeTruthy();
    expect(res.headers.get("server")).toBe("nginx");
    const redirect = await fetch(`${proxy.httpUrl}/login?next=%2Fjournal`, { redirect: "manual" });
    expect(redirect.status).toBe(301);
    expect(redirect.headers.get("location")).toBe(`${proxy.url}/login?next=%2Fjournal`);
    // Without TLS the same site proxies plain HTTP (startProxy's tls: false).
    expect((await fetch(`${plain.url}/healthz`)).status).toBe(200);
  });

  test("the setup link is printed with PUBLIC_URL, the proxy's address", () => {
    const line = logs.lines.find((l) => l.event === "setup.required");
    expect(String(line?.setup_url)).toStartWith(`${proxy.url}/setup?token=`);
  });

  test("login through the proxy; a form with the proxy's Origin is accepted (X-Forwarded-Host), another site's is refused", async () => {
    const res = await login(PASSWORD);
    expect(res.status).toBe(303);
    const sid = cookiesOf(res).sid;
    expect(sid?.value).toBeTruthy();
    // The instance speaks plain HTTP; nginx marks its cookies Secure for the browser.
    expect(sid!.attributes).toMatch(/;\s*Secure/i);
    expect(sid!.attributes).toMatch(/HttpOnly/);
    const cookie = `sid=${sid!.value}`;
    const settings = await fetch(`${proxy.url}/settings`, { ...insecure, headers: { cookie } });
    expect(settings.status).toBe(200);
    const csrf = /<meta name="csrf-token" content="([^"]+)"/.exec(await settings.text())?.[1];
    expect(csrf).toBeTruthy();

    const post = (base: string, origin: string, name: string) =>
      fetch(`${base}/settings/tokens`, {
        ...insecure,
        method: "POST",
        headers: { cookie, origin, "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ name, _csrf: csrf! }).toString(),
      });
    const names = async () => (await server.ctx.tokens.list(userId)).map((t) => t.name);
    // nginx sends Host without the port; only X-Forwarded-Host matches the Origin (127.0.0.1:<port>).
    const ok = await post(proxy.url, proxy.url, "via-proxy");
    expect(ok.status).toBe(200);
    expect(await names()).toContain("via-proxy");
    const evil = await post(proxy.url, "https://evil.example", "via-evil");
    expect(evil.status).toBe(403);
    // The proxy's Origin sent straight to the instance, from an address not in TRUST_PROXY: refused.
    const direct = await post(server.url, proxy.url, "direct");
    expect(direct.status).toBe(403);
    expect(await names()).not.toContain("via-evil");
    expect(await names()).not.toContain("direct");
  });

  test("a WebSocket through the proxy (wss) with the session cookie and our Origin gets prices; another Origin is refused", async () => {
    const s = await server.ctx.sessions.create(userId, "test", "127.0.0.1");
    const open = (origin: string) => {
      const messages: { t: string; s?: string; symbols?: string[] }[] = [];
      const ws = new WebSocket(proxy.wsUrl, {
        headers: { cookie: `sid=${s.token}`, origin },
        ...insecure,
      } as unknown as string[]);
      ws.onmessage = (e) => messages.push(JSON.parse(String(e.data)));
      const opened = new Promise<boolean>((r) => {
        ws.onopen = () => r(true);
        ws.onerror = () => r(false);
      });
      return { ws, messages, opened };
    };
    expect(await open("https://evil.example").opened).toBe(false);
    const c = open(proxy.url);
    expect(await c.opened).toBe(true);
    c.ws.send(JSON.stringify({ op: "subscribe", symbols: ["MES"] }));
    const price = () => c.messages.find((m) => ["trade", "trades", "quote"].includes(m.t) && m.s === "MES");
    await until(() => !!price(), 15_000, 50);
    expect(c.messages.find((m) => m.t === "subscribed")).toEqual({ t: "subscribed", symbols: ["MES"] });
    expect(price()).toBeDefined();
    c.ws.close();
  });

  test("the login throttle counts the client's address from X-Forwarded-For, not the proxy's nor a forged one", async () => {
    const res = await login("not the password", { "x-forwarded-for": "203.0.113.9" });
    expect(res.status).toBe(200);
    const failed = logs.lines.filter((l) => l.event === "auth.login.failed" && l.username === "proxied");
    expect(failed.length).toBe(1);
    // nginx appended the real client (127.0.0.1) after the forged entry; the app takes the last
    // one. The socket's peer is nginx at 127.0.0.2 (TRUST_PROXY: the forms above passed with it).
    expect(failed[0]!.ip).toBe("127.0.0.1");
    if (proxyPeer === "127.0.0.1")
      console.warn(
        "127.0.0.2 unavailable: the proxy and the client share an address here, so this shows only that the forged entry is ignored",
      );
  });

  test("the upload route takes bodies above the 2 MB that other routes accept", async () => {
    const { token } = await server.ctx.tokens.create(userId, "uploads", cli);
    const body = new Uint8Array(3 * 1024 * 1024);
    const send = (path: string) =>
      fetch(`${proxy.url}${path}`, {
        ...insecure,
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/octet-stream" },
        body,
      });
    const upload = await send("/api/v1/replay-files");
    // The app read it and said why it is no DBN file; nginx let it through.
    expect(upload.status).toBe(400);
    expect(((await upload.json()) as { success: boolean }).success).toBe(false);
    expect((await send("/api/place_order")).status).toBe(413);
  });
});

if (skip && process.env.CI) {
  test("CI installs nginx and openssl (.ci/run)", () => {
    throw new Error(`missing on this CI machine: ${missing.join(", ")}`);
  });
}

describe("docs/deploy/trading-app@.service", () => {
  const unitPath = join(import.meta.dir, "../../docs/deploy/trading-app@.service");
  const text = readFileSync(unitPath, "utf8");

  /** The unit as sections of key → values (a key may repeat, like EnvironmentFile). */
  function parse(ini: string): Record<string, Record<string, string[]>> {
    const out: Record<string, Record<string, string[]>> = {};
    let section = "";
    for (const raw of ini.split("\n")) {
      const line = raw.trim();
      if (!line || line.startsWith("#") || line.startsWith(";")) continue;
      const head = /^\[(.+)\]$/.exec(line);
      if (head) {
        section = head[1]!;
        out[section] ??= {};
        continue;
      }
      const eq = line.indexOf("=");
      expect(eq, `not key=value: ${line}`).toBeGreaterThan(0);
      ((out[section] ??= {})[line.slice(0, eq).trim()] ??= []).push(line.slice(eq + 1).trim());
    }
    return out;
  }

  test("has the settings the deployment relies on", () => {
    const u = parse(text);
    const svc = u.Service!;
    expect(u.Unit!.After![0]!.split(/\s+/)).toEqual(
      expect.arrayContaining(["network-online.target", "postgresql.service", "nats-server.service"]),
    );
    expect(svc.EnvironmentFile).toEqual(["/etc/trading-app/common.env", "/etc/trading-app/%i.env"]);
    // scripts/build.ts writes dist/trading-app; README.md installs it here.
    expect(readFileSync(join(import.meta.dir, "../../scripts/build.ts"), "utf8")).toContain(
      'outfile = "dist/trading-app"',
    );
    expect(svc.ExecStart).toEqual(["/usr/local/bin/trading-app serve"]);
    const one = (k: string) => svc[k]?.at(-1);
    expect([one("User"), one("Restart"), one("RestartSec"), one("KillSignal")]).toEqual([
      "trading-app",
      "always",
      "1",
      "SIGTERM",
    ]);
    expect(Number(one("TimeoutStopSec"))).toBeGreaterThan(0);
    for (const k of ["NoNewPrivileges", "ProtectHome", "PrivateTmp"]) expect(one(k)).toBe("yes");
    expect(one("ProtectSystem")).toBe("strict");
    expect(one("ReadWritePaths")).toBe("/var/lib/trading-app");
    expect(svc.Environment).toContain("DATA_DIR=/var/lib/trading-app");
    expect(u.Install!.WantedBy).toEqual(["multi-user.target"]);
  });

  const analyze = Bun.which("systemd-analyze");
  test.skipIf(!analyze)(
    `systemd-analyze verify accepts it${analyze ? "" : " — SKIPPED: systemd-analyze not installed"}`,
    () => {
      const dir = mkdtempSync(join(tmpdir(), "unit-"));
      dirs.push(dir);
      // verify checks that ExecStart exists; the real binary is not installed here.
      const unit = join(dir, "trading-app@.service");
      writeFileSync(unit, text.replace(/^ExecStart=\S+/m, `ExecStart=${process.execPath}`));
      copyFileSync(unit, join(dir, "trading-app@1.service"));
      const r = Bun.spawnSync([analyze!, "verify", unit, join(dir, "trading-app@1.service")], {
        stdout: "pipe",
        stderr: "pipe",
        env: { ...process.env, SYSTEMD_LOG_LEVEL: "warning" },
      });
      const out = (r.stdout.toString() + r.stderr.toString()).trim();
      // Unknown keys and bad values are warnings with exit code 0: any line naming the unit fails.
      const about = out.split("\n").filter((l) => l.includes("trading-app@"));
      if (r.exitCode !== 0 && about.length === 0) {
        console.warn(
          `systemd-analyze cannot verify on this machine (exit ${r.exitCode}): ${out.slice(0, 300)}; the key checks above stand alone`,
        );
        return;
      }
      expect(about).toEqual([]);
      expect(r.exitCode).toBe(0);
    },
  );
});
