// Builds dist/trading-app: one executable with views, public assets, migrations and PGlite's
// WASM and data files embedded (see src/persistence/pglite.ts and src/web/assets.ts). The page
// scripts made by bundling are bundled first and compiled in (src/web/page-bundles-prebuilt.ts):
// the binary has no sources to bundle from.
import { join } from "node:path";
import { buildPageBundles } from "../src/web/page-bundles";

const outfile = "dist/trading-app";
const t0 = performance.now();
const prebuilt = join(import.meta.dir, "../src/web/page-bundles-prebuilt.ts");
const r = await Bun.build({
  entrypoints: [join(import.meta.dir, "../src/main.ts")],
  compile: { outfile },
  minify: true,
  sourcemap: "linked",
  target: "bun",
  files: { [prebuilt]: `export const PREBUILT = ${JSON.stringify(await buildPageBundles())};\n` },
});
if (!r.success) {
  for (const l of r.logs) console.error(String(l));
  process.exit(1);
}
const size = Bun.file(outfile).size;
console.log(`built ${outfile}: ${(size / 1e6).toFixed(1)} MB in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
