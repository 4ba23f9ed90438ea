// The original Flask server (github rashed-c/MyPyTradeCopier_API, ApiEndpoint/main.py) under
// gunicorn, for bench/http-api.ts --peer. Its code is read from the operator's checkout at run
// time; nothing of it is kept here. It needs Debian's packages:
//   apt-get install -y python3-flask python3-flask-sqlalchemy python3-psycopg2 python3-flask-migrate python3-flask-socketio gunicorn
import { existsSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { $ } from "bun";

const PYTHON = "/usr/bin/python3";
const GUNICORN = "/usr/bin/gunicorn";
const ENTRY = "flask_entry";

// The original hard-codes its database and creates its tables only under __main__: this module
// runs its main.py with the URI replaced by the bench's database and creates them.
const ENTRY_SOURCE = String.raw`import os, re, sys, types

path = os.environ["PEER_MAIN"]
with open(path, encoding="utf-8") as f:
    source = f.read()
source, n = re.subn(r"""(SQLALCHEMY_DATABASE_URI['"]\]\s*=\s*)(['"]).*?\2""",
                    lambda m: m.group(1) + repr(os.environ["PEER_DATABASE_URL"]), source)
if n != 1:
    sys.exit(f"{path}: expected one SQLALCHEMY_DATABASE_URI assignment, found {n}")
module = types.ModuleType("peer_main")
module.__file__ = path
sys.modules["peer_main"] = module
exec(compile(source, path, "exec"), module.__dict__)
app = module.app
with app.app_context():
    module.db.create_all()
`;

/** The original's main.py: `path` is the repository's folder or the file itself. */
export function peerMain(path: string): string {
  const main = statSync(path).isDirectory() ? join(path, "ApiEndpoint", "main.py") : path;
  if (!existsSync(main)) throw new Error(`--peer: no ${main}`);
  return main;
}

/** Fails with the install line when Debian's Flask stack is missing. */
export async function checkPeerTools(): Promise<string> {
  const probe =
    await $`${PYTHON} -c ${"import flask, flask_sqlalchemy, flask_migrate, flask_socketio, psycopg2, sqlalchemy; print(flask_sqlalchemy.__version__, sqlalchemy.__version__)"}`
      .nothrow()
      .quiet();
  const gunicorn = await $`${GUNICORN} --version`.nothrow().quiet();
  if (probe.exitCode !== 0 || gunicorn.exitCode !== 0) {
    throw new Error(
      "--peer needs Debian's Flask stack: apt-get install -y python3-flask python3-flask-sqlalchemy python3-psycopg2 python3-flask-migrate python3-flask-socketio gunicorn",
    );
  }
  const [fsa, sa] = probe.stdout.toString().trim().split(" ");
  return `${gunicorn.stdout.toString().trim() || gunicorn.stderr.toString().trim()}, Flask-SQLAlchemy ${fsa}, SQLAlchemy ${sa}, ${PYTHON}`;
}

export interface PeerProcess {
  proc: Bun.Subprocess;
  base: string;
}

/**
 * Writes the entry module into `dir` and creates the tables once, so that the workers' own
 * create_all (each imports the module) finds them and does not race to create them.
 */
export async function preparePeer(dir: string, main: string, databaseUrl: string): Promise<void> {
  writeFileSync(join(dir, `${ENTRY}.py`), ENTRY_SOURCE);
  const out = await $`${PYTHON} -c ${`import ${ENTRY}`}`.cwd(dir).env(peerEnv(main, databaseUrl)).nothrow().quiet();
  if (out.exitCode !== 0)
    throw new Error(`the original's tables could not be created:\n${out.stderr.toString().slice(-2000)}`);
}

function peerEnv(main: string, databaseUrl: string): Record<string, string> {
  // SQLAlchemy 1.4 takes postgresql://, not postgres://.
  return {
    PATH: "/usr/bin:/bin",
    PEER_MAIN: main,
    PEER_DATABASE_URL: databaseUrl.replace(/^postgres:/, "postgresql:"),
  };
}

/**
 * gunicorn with `workers` sync workers on 127.0.0.1:`port`. Its stderr — the original's DEBUG
 * log, part of what each request costs — goes to `logFile`.
 */
export async function startPeer(
  dir: string,
  main: string,
  databaseUrl: string,
  workers: number,
  port: number,
  logFile: string,
): Promise<PeerProcess> {
  writeFileSync(logFile, "");
  const proc = Bun.spawn([GUNICORN, "-w", String(workers), "-b", `127.0.0.1:${port}`, "--chdir", dir, `${ENTRY}:app`], {
    env: peerEnv(main, databaseUrl),
    stdout: "ignore",
    stderr: Bun.file(logFile),
  });
  const base = `http://127.0.0.1:${port}`;
  const t0 = performance.now();
  while (performance.now() - t0 < 30_000) {
    const r = await fetch(`${base}/api/get_active_orders`).catch(() => undefined);
    if (r?.status === 200) return { proc, base };
    if (proc.exitCode !== null) throw new Error(`gunicorn exited with ${proc.exitCode}; see ${logFile}`);
    await Bun.sleep(50);
  }
  proc.kill();
  throw new Error(`gunicorn did not answer; see ${logFile}`);
}
