// Builds dist/trading-app: one executable with views, public assets, migrations and PGlite's
// WASM and data files embedded (see src/persistence/pglite.ts and src/web/assets.ts). The desk's
// page script is bundled first and compiled in (src/web/desk-bundle-prebuilt.ts): the binary has
// no sources to bundle from.
import { join } from "node:path";
import { buildDeskBundle } from "../src/web/desk-bundle";

const outfile = "dist/trading-app";
const t0 = performance.now();
const prebuilt = join(import.meta.dir, "../src/web/desk-bundle-prebuilt.ts");
const r = await Bun.build({
  entrypoints: [join(import.meta.dir, "../src/main.ts")],
  compile: { outfile },
  minify: true,
  sourcemap: "linked",
  target: "bun",
  files: { [prebuilt]: `export const PREBUILT = ${JSON.stringify(await buildDeskBundle())};\n` },
});
if (!r.success) {
  for (const l of r.logs) console.error(String(l));
  process.exit(1);
}
const size = Bun.file(outfile).size;
console.log(`built ${outfile}: ${(size / 1e6).toFixed(1)} MB in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
