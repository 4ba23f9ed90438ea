import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";

/**
 * The page scripts made by bundling, by URL: the desk's islands with Alpine's CSP build (one
 * classic script), and the views' formatting rules as the ES module the other page scripts import;
 * and the stylesheet with its parts joined.
 */
const BUNDLES = {
  "/static/js/desk.js": { entry: join(import.meta.dir, "../../public/js/desk/main.js"), format: "iife" },
  "/static/js/format.js": { entry: join(import.meta.dir, "../shared/format.ts"), format: "esm" },
} as const;

/** The desk bundle's entry module (public/js/desk/main.js). */
export const DESK_ENTRY = BUNDLES["/static/js/desk.js"].entry;

/** The stylesheet the layout links; its `@import`s of its parts are written in, in their order. */
export const STYLESHEET = join(import.meta.dir, "../../public/css/app.css");
const IMPORT = /^@import url\("([\w-]+\.css)"\);$/gm;

/**
 * app.css with each part in place of its `@import`: one request for the browser instead of a
 * chain of eight, and the cascade exactly as written (the parts' text, unchanged, in order).
 */
export function joinStylesheet(file = STYLESHEET): string {
  return readFileSync(file, "utf8").replace(IMPORT, (_, part: string) =>
    readFileSync(join(dirname(file), part), "utf8"),
  );
}

export async function buildPageBundles(): Promise<Record<string, string>> {
  const built = await Promise.all(
    Object.entries(BUNDLES).map(async ([url, { entry, format }]) => {
      const r = await Bun.build({ entrypoints: [entry], format, minify: true, target: "browser" });
      if (!r.success || !r.outputs[0]) throw new Error(`${url} bundle: ${r.logs.map(String).join("\n")}`);
      return [url, await r.outputs[0].text()] as const;
    }),
  );
  return { ...Object.fromEntries(built), "/static/css/app.css": joinStylesheet() };
}
