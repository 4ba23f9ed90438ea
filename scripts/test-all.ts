// The whole suite, as CI runs it: typecheck, formatting and lint, the layers' import rule,
// HTML-escaping scan, tests on embedded PGlite, the same tests on a real Postgres server, and
// the single-binary check.
import { $ } from "bun";
import pg from "pg";

const pgUrl = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const requirePostgres = Boolean(process.env.CI) || process.env.REQUIRE_POSTGRES === "1";

async function step(name: string, fn: () => Promise<unknown>) {
  const t0 = performance.now();
  console.log(`\n=== ${name}`);
  await fn();
  console.log(`=== ${name}: ok (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}

async function postgresReachable(): Promise<boolean> {
  const c = new pg.Client({ connectionString: pgUrl, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
}

const { DATABASE_URL: _ignored, ...envWithoutDb } = process.env;
await step("typecheck (tsc --noEmit)", () => $`bunx tsc --noEmit`);
await step(
  "format and lint (biome check; `bunx biome check --write .` fixes the format)",
  () => $`bunx biome check --error-on-warnings .`,
);
await step("imports point down, no cycles (scripts/check-imports.ts)", () => $`bun scripts/check-imports.ts`);
await step("HTML escaping scan (xss-scan)", () => $`bunx xss-scan`);
await step("tests on PGlite", () => $`bun test --timeout 60000`.env(envWithoutDb));
if (await postgresReachable()) {
  await step(`tests on Postgres (${pgUrl.replace(/:[^:@/]+@/, ":***@")})`, () =>
    $`bun test --timeout 60000`.env({ ...envWithoutDb, DATABASE_URL: pgUrl }),
  );
} else if (requirePostgres) {
  console.error(`Postgres at ${pgUrl} is not reachable and CI requires it`);
  process.exit(1);
} else {
  console.warn(`\n!!! SKIPPED: tests on Postgres — nothing answers at ${pgUrl} (set TEST_DATABASE_URL)`);
}
await step("single binary runs alone", () => $`bun scripts/check-binary.ts`);
console.log("\nall checks passed");
