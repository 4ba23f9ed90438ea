// Test utility: a real nginx, configured from docs/deploy/nginx.conf.template, in front of app
// instances. Runs unprivileged or as root, everything (config, certificate, temp files, logs)
// in one temporary directory, listening on 127.0.0.1 only.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const NGINX = "/usr/sbin/nginx";
export const TEMPLATE_PATH = join(import.meta.dir, "../../docs/deploy/nginx.conf.template");

export function nginxAvailable(): boolean {
  return existsSync(NGINX);
}

export function opensslAvailable(): boolean {
  return Bun.which("openssl") !== null;
}

/**
 * `{{NAME}}` is replaced by its value; a line holding `{{BACKEND}}` is written once per backend.
 * A placeholder without a value is an error, so the template and its users cannot drift apart.
 */
export function renderTemplate(template: string, values: Record<string, string>, backends: readonly string[]): string {
  if (backends.length === 0) throw new Error("at least one backend");
  const lines = template
    .split("\n")
    .flatMap((line) =>
      line.includes("{{BACKEND}}") ? backends.map((b) => line.replaceAll("{{BACKEND}}", b)) : [line],
    );
  return lines.join("\n").replace(/\{\{([A-Z_]+)\}\}/g, (_, name: string) => {
    const v = values[name];
    if (v === undefined) throw new Error(`nginx template: no value for {{${name}}}`);
    return v;
  });
}

/** A port nothing listens on right now (the OS picks it; a race with another process is possible but rare). */
export async function freePort(host = "127.0.0.1"): Promise<number> {
  return await new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, host, () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function accepts(port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const c = net.connect(port, "127.0.0.1");
    c.once("connect", () => (c.destroy(), resolve(true)));
    c.once("error", () => resolve(false));
  });
}

export interface ProxyOptions {
  /** "127.0.0.1:3001", ... */
  backends: string[];
  tls: boolean;
  /**
   * Source address of nginx's connections to the backends (`proxy_bind`), e.g. "127.0.0.2":
   * lets a test tell the proxy's address from the client's, which on one host are both 127.0.0.1.
   */
  bind?: string;
}

export interface RunningProxy {
  /** Where clients go: https://127.0.0.1:P (or http:// without TLS). */
  url: string;
  wsUrl: string;
  /** The plain-HTTP listener that redirects to `url` (with TLS). */
  httpUrl: string;
  dir: string;
  stop(): Promise<void>;
}

export async function startProxy(opts: ProxyOptions): Promise<RunningProxy> {
  if (!nginxAvailable()) throw new Error(`${NGINX} not found (Debian: apt-get install nginx)`);
  const dir = mkdtempSync(join(tmpdir(), "nginx-proxy-"));
  try {
    return await launch(opts, dir);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

async function launch(opts: ProxyOptions, dir: string): Promise<RunningProxy> {
  for (const t of ["body", "proxy", "fastcgi", "uwsgi", "scgi"]) mkdirSync(join(dir, "temp", t), { recursive: true });
  let cert = "",
    key = "";
  if (opts.tls) {
    if (!opensslAvailable()) throw new Error("openssl not found");
    cert = join(dir, "cert.pem");
    key = join(dir, "key.pem");
    const r = Bun.spawnSync(
      [
        "openssl",
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=127.0.0.1",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
        "-keyout",
        key,
        "-out",
        cert,
      ],
      { stdout: "pipe", stderr: "pipe" },
    );
    if (r.exitCode !== 0) throw new Error(`openssl: ${r.stderr.toString()}`);
  }
  // A freshly picked port can be taken before nginx binds it; then pick again.
  for (let attempt = 1; ; attempt++) {
    const [httpPort, mainPort] = [await freePort(), await freePort()];
    const scheme = opts.tls ? "https" : "http";
    const origin = `${scheme}://127.0.0.1:${mainPort}`;
    let site = renderTemplate(
      readFileSync(TEMPLATE_PATH, "utf8"),
      {
        SERVER_NAME: "127.0.0.1",
        PUBLIC_ORIGIN: origin,
        HTTP_LISTEN: `127.0.0.1:${httpPort}`,
        HTTPS_LISTEN: `127.0.0.1:${mainPort}`,
        TLS_CERT: cert,
        TLS_KEY: key,
      },
      opts.backends,
    );
    // Without TLS the main server serves plain HTTP: same proxying, no certificate.
    if (!opts.tls) site = site.replace(/^(\s*listen \S+) ssl;/m, "$1;").replace(/^\s*ssl_\w+ .*;\n/gm, "");
    writeFileSync(join(dir, "site.conf"), site);
    // What Debian's /etc/nginx/nginx.conf provides around a site file, pointed into `dir`.
    writeFileSync(
      join(dir, "nginx.conf"),
      [
        // As root, nginx would switch its workers to "nobody", who cannot enter the 0700 temp dir.
        ...(process.getuid?.() === 0 ? ["user root root;"] : []),
        "worker_processes 1;",
        "events { worker_connections 512; }",
        "http {",
        ...["body", "proxy", "fastcgi", "uwsgi", "scgi"].map(
          (t) => `  ${t === "body" ? "client_body" : t}_temp_path ${join(dir, "temp", t)};`,
        ),
        `  access_log ${join(dir, "access.log")};`,
        ...(opts.bind ? [`  proxy_bind ${opts.bind};`] : []),
        `  include ${join(dir, "site.conf")};`,
        "}",
        "",
      ].join("\n"),
    );
    const proc = Bun.spawn(
      [
        NGINX,
        "-p",
        dir,
        "-c",
        join(dir, "nginx.conf"),
        "-g",
        `daemon off; pid ${join(dir, "nginx.pid")}; error_log ${join(dir, "error.log")};`,
      ],
      { stdout: "ignore", stderr: "pipe" },
    );
    const errors = () => (existsSync(join(dir, "error.log")) ? readFileSync(join(dir, "error.log"), "utf8") : "");
    const deadline = Date.now() + 10_000;
    let ready = false;
    while (!ready && proc.exitCode === null && Date.now() < deadline) {
      ready = (await accepts(mainPort)) && (await accepts(httpPort));
      if (!ready) await Bun.sleep(50);
    }
    // SIGTERM: the master stops its workers, then exits; SIGKILL alone would leave workers behind.
    const halt = async () => {
      proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), 5000);
      await proc.exited;
      clearTimeout(timer);
    };
    if (!ready) {
      await halt();
      const log = errors() + (await new Response(proc.stderr).text());
      if (attempt < 3 && /Address already in use/.test(log)) continue;
      throw new Error(`nginx did not start: ${log.trim() || "no output"}`);
    }
    return {
      url: origin,
      wsUrl: `${opts.tls ? "wss" : "ws"}://127.0.0.1:${mainPort}/ws`,
      httpUrl: `http://127.0.0.1:${httpPort}`,
      dir,
      async stop() {
        await halt();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
}
