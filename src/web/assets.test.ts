import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ASSETS } from "./assets";

/** Assets are a static list (for `bun build --compile`); a file the pages name but the list lacks would 404. */
describe("embedded assets", () => {
  const root = join(import.meta.dir, "../..");
  const views = readdirSync(join(root, "views")).filter((f) => f.endsWith(".tsx")).map((f) => readFileSync(join(root, "views", f), "utf8"));

  test("every /static and /vendor URL a view references is embedded", () => {
    const named = new Set(views.flatMap((v) => [...v.matchAll(/["'`](\/(?:static|vendor)\/[^"'`$]+)["'`]/g)].map((m) => m[1]!)));
    expect(named.size).toBeGreaterThan(3);
    for (const url of named) expect(Object.keys(ASSETS)).toContain(url);
  });

  test("every file under public/ is embedded", () => {
    const files = (dir: string): string[] =>
      readdirSync(join(root, "public", dir), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
    for (const f of files("")) expect(Object.keys(ASSETS)).toContain(`/static/${f}`);
  });
});
