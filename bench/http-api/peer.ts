// The original Flask server under gunicorn, as a Server the rounds and the counting pass start
// (its database and tools are set up by bench/flask-peer.ts).
import { statSync } from "node:fs";
import { join } from "node:path";
import { startPeer } from "../flask-peer";
import { dir } from "./options";
import { expectOk, freePort, type Server } from "./servers";

/** gunicorn's sync workers in the two Flask configurations. */
export const FLASK_WORKERS = [2, 4];
export const flaskLabel = (workers: number) => `Flask -w${workers}`;

export function flask(main: string, databaseUrl: string, workers: number): Server {
  const label = flaskLabel(workers);
  return {
    label,
    async start(tag, url = databaseUrl) {
      const { proc, base } = await startPeer(
        dir,
        main,
        url,
        workers,
        freePort(),
        join(dir, `flask-w${workers}-${tag}.log`),
      );
      return {
        label,
        base,
        headers: {},
        pid: proc.pid,
        // The original has no clear_trade: its exit deletes the order (its levels stay; they hold nothing back there).
        clear: (symbol) =>
          expectOk(
            `${label}: exit`,
            fetch(`${base}/api/place_order`, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify({ ticker: symbol, action: "exit" }),
            }),
          ),
        stop: async () => void (proc.kill(), await proc.exited),
      };
    },
  };
}

/** What the original's DEBUG logging wrote over the run. */
export function peerLogBytes(): number {
  return [...new Bun.Glob("flask-*.log").scanSync(dir)].reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);
}
