import { SCHEMAS, STYPES } from "../market-data/dbn/constants";
import { recordToJson } from "../market-data/dbn/json";
import { decodeRecord } from "../market-data/dbn/record-codec";
import { validateApiKey } from "../market-data/databento/gateway-protocol";
import { GatewayAuthError } from "../market-data/databento/gateway-session";
import { LiveClient } from "../market-data/databento/live-client";
import { CliError, type CliIo } from "./io";

export const LIVE_USAGE =
  "usage: live --dataset GLBX.MDP3 --schema trades --stype continuous --symbols ES.c.0,NQ.c.0 [--gateway host:port] [--start T] [--limit N] [--json|--pretty]\n" +
  "       the API key is read from DATABENTO_API_KEY";

/** `live`: a Databento Live session printed as JSON lines, for debugging the feed path. */
export async function liveCommand(args: string[], io: CliIo, env: Record<string, string | undefined>): Promise<number> {
  const opts: Record<string, string> = {};
  let pretty = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--json") pretty = false;
    else if (a === "--pretty") pretty = true;
    else if (a.startsWith("--") && args[i + 1] !== undefined) opts[a.slice(2)] = args[++i]!;
    else throw new CliError(`unexpected argument "${a}"\n${LIVE_USAGE}`);
  }
  const key = env.DATABENTO_API_KEY ?? "";
  const keyProblem = validateApiKey(key);
  if (keyProblem) throw new CliError(`DATABENTO_API_KEY: ${keyProblem}`);
  const dataset = opts.dataset ?? "GLBX.MDP3";
  const schema = opts.schema ?? "trades";
  const stype = opts.stype ?? "raw_symbol";
  if (!(SCHEMAS as readonly string[]).includes(schema)) throw new CliError(`unknown schema "${schema}"`);
  if (!(STYPES as readonly string[]).includes(stype)) throw new CliError(`unknown stype "${stype}"`);
  const symbols = (opts.symbols ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (symbols.length === 0) throw new CliError(`--symbols is required\n${LIVE_USAGE}`);
  const limit = opts.limit === undefined ? Number.POSITIVE_INFINITY : Number(opts.limit);
  if (!(limit > 0)) throw new CliError("--limit must be a positive number");
  let host: string | undefined;
  let port: number | undefined;
  if (opts.gateway) {
    const m = /^([^:]+):(\d{1,5})$/.exec(opts.gateway);
    if (!m) throw new CliError("--gateway must be host:port");
    host = m[1];
    port = Number(m[2]);
  }
  let printed = 0;
  let done!: (code: number) => void;
  const finished = new Promise<number>((r) => (done = r));
  const client: LiveClient = new LiveClient({
    apiKey: key,
    dataset,
    host,
    port,
    start: opts.start,
    subscriptions: [{ schema, stypeIn: stype, symbols, id: 1 }],
    onRecord: (_c, view, bytes, offset) => {
      if (printed >= limit) return;
      const rec = decodeRecord(view, bytes, offset, client.stream.tsOut);
      if (!rec) return;
      io.out(recordToJson(rec, pretty));
      if (++printed >= limit) done(0);
    },
    onEvent: (e) => {
      if (e.type === "auth-failed") {
        io.err(`error: ${e.message}`);
        done(3);
      } else if (e.type === "fatal") {
        io.err(`error: ${e.message}`);
        done(4);
      } else if (e.type === "gap") io.err(`gap not replayed: ${e.fromNs} to ${e.toNs} (${e.reason})`);
      else if (e.type === "disconnected") io.err(`disconnected (${e.reason}); retrying in ${e.retryInMs} ms`);
      else if (e.type === "gateway-error") io.err(`gateway error ${e.code}: ${e.message}`);
    },
  });
  try {
    await client.start();
  } catch (err) {
    if (err instanceof GatewayAuthError) return 3;
    throw err;
  }
  const code = await finished;
  client.stop();
  return code;
}
