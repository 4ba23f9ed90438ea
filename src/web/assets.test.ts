import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ASSETS, assetResponse } from "./assets";

/** Assets are a static list (for `bun build --compile`); a file the pages name but the list lacks would 404. */
describe("embedded assets", () => {
  const root = join(import.meta.dir, "../..");
  // The pages and their partials (views/desk/, views/replay/, …).
  const views = (readdirSync(join(root, "views"), { recursive: true }) as string[])
    .filter((f) => f.endsWith(".tsx"))
    .map((f) => readFileSync(join(root, "views", f), "utf8"));

  test("every /static and /vendor URL a view references is embedded", () => {
    const named = new Set(
      views.flatMap((v) => [...v.matchAll(/["'`](\/(?:static|vendor)\/[^"'`$]+)["'`]/g)].map((m) => m[1]!)),
    );
    expect(named.size).toBeGreaterThan(3);
    for (const url of named) expect(Object.keys(ASSETS)).toContain(url);
  });

  test("every file under public/ is embedded, or is built into one that is (desk modules, stylesheet parts)", () => {
    const files = (dir: string): string[] =>
      readdirSync(join(root, "public", dir), { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)],
      );
    const desk = join(root, "public/js/desk");
    // The modules main.js reaches through its imports: what Bun.build puts in /static/js/desk.js.
    const bundled = new Set<string>();
    const reach = (file: string) => {
      if (bundled.has(file)) return;
      bundled.add(file);
      for (const m of readFileSync(join(desk, file), "utf8").matchAll(/from "\.\/([\w-]+\.js)"/g)) reach(m[1]!);
    };
    reach("main.js");
    // The stylesheet's parts: joined into /static/css/app.css.
    const parts = new Set(
      [...readFileSync(join(root, "public/css/app.css"), "utf8").matchAll(/@import url\("([\w-]+\.css)"\)/g)].map(
        (m) => `css/${m[1]}`,
      ),
    );
    for (const f of files("")) {
      if (f.startsWith("js/desk/"))
        expect({ f, bundled: bundled.has(f.slice("js/desk/".length)) }).toEqual({ f, bundled: true });
      else if (!parts.has(f)) expect(Object.keys(ASSETS)).toContain(`/static/${f}`);
    }
  });

  test("the stylesheet goes out with its parts joined in, in order", async () => {
    const served = await assetResponse("/static/css/app.css")!.text();
    expect(served).not.toContain("@import");
    const at = ["base", "layout", "docs", "desk", "journal", "settings", "replay"].map((n) =>
      served.indexOf(readFileSync(join(root, `public/css/${n}.css`), "utf8")),
    );
    expect(at.every((i) => i >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
  });

  test("text assets go out gzipped to browsers that accept it, and revalidate by ETag (304)", async () => {
    const plain = assetResponse("/static/js/desk.js")!;
    const body = new Uint8Array(await plain.arrayBuffer());
    const gz = assetResponse(
      "/static/js/desk.js",
      new Request("http://x/", { headers: { "accept-encoding": "gzip, br" } }),
    )!;
    expect(gz.headers.get("content-encoding")).toBe("gzip");
    const zipped = new Uint8Array(await gz.arrayBuffer());
    expect(zipped.length).toBeLessThan(body.length / 2);
    expect(Bun.gunzipSync(zipped)).toEqual(body);
    const etag = plain.headers.get("etag")!;
    expect(etag).toMatch(/^"[0-9a-f]{20}"$/);
    const again = assetResponse(
      "/static/js/desk.js",
      new Request("http://x/", { headers: { "if-none-match": etag } }),
    )!;
    expect(again.status).toBe(304);
    expect(assetResponse("/static/js/nope.js")).toBeUndefined();
  });
});
