import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startEngine } from "../app/engine-startup";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { testDatabaseKind } from "../persistence/test-database";
import { createHarness, type Harness } from "../web/test-harness";
import { parseScenario } from "./format";
import { runScenario } from "./runner";

const CASES = join(import.meta.dir, "cases");
const DOC = join(import.meta.dir, "../../docs/trading-rules.md");
const files = readdirSync(CASES)
  .filter((f) => f.endsWith(".json"))
  .sort();
/** Every `name-with-dashes` the rules page backquotes is a scenario (file names have dots or slashes). */
const named = [
  ...new Set([...readFileSync(DOC, "utf8").matchAll(/`([a-z0-9]+(?:-[a-z0-9]+)+)`/g)].map((m) => m[1]!)),
].sort();

let h: Harness;
/** The engine as the server starts it (with shard leases on Postgres). */
let stopEngine: () => Promise<void>;
beforeAll(async () => {
  h = await createHarness();
  stopEngine = await startEngine(h.ctx, 0);
  await h.ctx.replay.start(0);
});
afterAll(async () => {
  await h.ctx.replay.stop();
  await stopEngine();
  await h.close();
});

describe(`scenarios (${testDatabaseKind})`, () => {
  test("the rules page and the kit name the same scenarios", () => {
    const have = files.map((f) => f.slice(0, -".json".length));
    expect({
      missing: named.filter((n) => !have.includes(n)),
      notInDoc: have.filter((n) => !named.includes(n)),
    }).toEqual({ missing: [], notInDoc: [] });
  });

  for (const file of files) {
    const name = file.slice(0, -".json".length);
    test(name, async () => {
      const s = parseScenario(JSON.parse(readFileSync(join(CASES, file), "utf8")), file);
      expect(s.name).toBe(name);
      await runScenario(h, s);
    });
  }
});
