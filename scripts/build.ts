// Builds dist/trading-app: one executable with views, public assets, migrations and PGlite's
// WASM and data files embedded (see src/persistence/pglite.ts and src/web/assets.ts).
import { $ } from "bun";

const outfile = "dist/trading-app";
const t0 = performance.now();
await $`bun build --compile --minify --sourcemap --target=bun src/main.ts --outfile ${outfile}`;
const size = Bun.file(outfile).size;
console.log(`built ${outfile}: ${(size / 1e6).toFixed(1)} MB in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
