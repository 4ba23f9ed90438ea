import { PGlite } from "@electric-sql/pglite";
// PGlite finds these beside its own module at run time, which inside a compiled binary is
// /$bunfs/root/ where they are not. Importing them as files embeds them, and handing all three
// to PGlite (pgliteWasmModule, initdbWasmModule, fsBundle: the 0.5 option names) stops every
// lookup by URL. They are outside the package's export map, hence the relative paths.
import initdbWasmPath from "../../node_modules/@electric-sql/pglite/dist/initdb.wasm" with { type: "file" };
import fsBundlePath from "../../node_modules/@electric-sql/pglite/dist/pglite.data" with { type: "file" };
import pgliteWasmPath from "../../node_modules/@electric-sql/pglite/dist/pglite.wasm" with { type: "file" };

let assets: Promise<{ pglite: WebAssembly.Module; initdb: WebAssembly.Module; fsBundle: Blob }> | undefined;

function loadAssets() {
  assets ??= (async () => {
    const [pglite, initdb, data] = await Promise.all([
      Bun.file(pgliteWasmPath)
        .arrayBuffer()
        .then((b) => WebAssembly.compile(b)),
      Bun.file(initdbWasmPath)
        .arrayBuffer()
        .then((b) => WebAssembly.compile(b)),
      Bun.file(fsBundlePath).arrayBuffer(),
    ]);
    return { pglite, initdb, fsBundle: new Blob([data]) };
  })();
  return assets;
}

/** Embedded Postgres (WASM). `dataDir` undefined = in memory; `loadDataDir` restores a dump. */
export async function createPGlite(opts: { dataDir?: string; loadDataDir?: Blob } = {}): Promise<PGlite> {
  const a = await loadAssets();
  return PGlite.create({
    ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
    ...(opts.loadDataDir ? { loadDataDir: opts.loadDataDir } : {}),
    pgliteWasmModule: a.pglite,
    initdbWasmModule: a.initdb,
    fsBundle: a.fsBundle,
  });
}
