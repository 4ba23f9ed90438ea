import { SCHEMA_RTYPES } from "../market-data/dbn/constants";
import { ZSTD_MAGIC } from "../market-data/dbn/constants";
import { decodeDbnStream, inferFragmentVersion } from "../market-data/dbn/decoder";
import { metadataToJson, recordToJson } from "../market-data/dbn/json";
import type { Metadata } from "../market-data/dbn/metadata";
import { CliError, type CliIo } from "./io";

export const DBN_USAGE =
  "usage: dbn <file> [--json | --pretty] [--limit N] [--schema S] [--metadata] [--fragment-version 1|2|3]";

/** `dbn <file>`: a DBN file (plain or zstd) as JSON lines, like Databento's `dbn` tool. */
export async function dbnCommand(args: string[], io: CliIo): Promise<void> {
  let file: string | undefined;
  let pretty = false;
  let metadataOnly = false;
  let limit = Number.POSITIVE_INFINITY;
  let schema: string | undefined;
  let fragmentVersion: number | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const next = () => {
      const v = args[++i];
      if (v === undefined) throw new CliError(`${a} needs a value\n${DBN_USAGE}`);
      return v;
    };
    if (a === "--json") pretty = false;
    else if (a === "--pretty") pretty = true;
    else if (a === "--metadata" || a === "-m") metadataOnly = true;
    else if (a === "--limit") {
      limit = Number(next());
      if (!Number.isInteger(limit) || limit < 0) throw new CliError("--limit must be a whole number");
    } else if (a === "--schema") {
      schema = next();
      if (!(schema in SCHEMA_RTYPES))
        throw new CliError(`unknown schema "${schema}" (${Object.keys(SCHEMA_RTYPES).join(", ")})`);
    } else if (a === "--fragment-version") {
      fragmentVersion = Number(next());
      if (![1, 2, 3].includes(fragmentVersion)) throw new CliError("--fragment-version must be 1, 2 or 3");
    } else if (!a.startsWith("-") && file === undefined) file = a;
    else throw new CliError(`unexpected argument "${a}"\n${DBN_USAGE}`);
  }
  if (!file) throw new CliError(DBN_USAGE);
  const f = Bun.file(file);
  if (!(await f.exists())) throw new CliError(`no such file: ${file}`);
  if (fragmentVersion === undefined) {
    // Records without a header (`.frag` files): recognised by the missing "DBN" magic.
    const head = await peek(f);
    if (head.length >= 3 && !(head[0] === 0x44 && head[1] === 0x42 && head[2] === 0x4e) && head[0]! >= 4)
      fragmentVersion = inferFragmentVersion(head);
  }
  const wanted = schema ? new Set(SCHEMA_RTYPES[schema]) : undefined;
  let printed = 0;
  for await (const item of decodeDbnStream(f.stream(), { fragmentVersion })) {
    if ("dataset" in item) {
      if (metadataOnly) {
        io.out(metadataToJson(item as Metadata, pretty));
        return;
      }
      continue;
    }
    if (printed >= limit) break;
    if (wanted && !wanted.has(item.hd.rtype)) continue;
    io.out(recordToJson(item, pretty));
    printed++;
  }
}

/** The first bytes of the (decompressed) content, without reading the whole file. */
async function peek(file: ReturnType<typeof Bun.file>, want = 4096): Promise<Uint8Array> {
  const magic = new DataView(await file.slice(0, 4).arrayBuffer());
  let stream = file.stream() as ReadableStream<Uint8Array>;
  if (magic.byteLength === 4 && magic.getUint32(0, true) === ZSTD_MAGIC) {
    stream = stream.pipeThrough(
      new DecompressionStream("zstd" as CompressionFormat) as unknown as ReadableWritablePair<Uint8Array, Uint8Array>,
    );
  }
  const reader = stream.getReader();
  const parts: Uint8Array[] = [];
  let got = 0;
  try {
    while (got < want) {
      const r = await reader.read();
      if (r.done) break;
      parts.push(r.value);
      got += r.value.length;
    }
  } catch {
    // Corrupt compression: the decoder will say so properly.
  } finally {
    await reader.cancel().catch(() => {});
  }
  return Buffer.concat(parts);
}
