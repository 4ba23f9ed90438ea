import { PGlite } from "@electric-sql/pglite";

/** Embedded Postgres (WASM). `dataDir` undefined = in memory. */
export async function createPGlite(dataDir?: string): Promise<PGlite> {
  return PGlite.create(dataDir ? { dataDir } : {});
}
