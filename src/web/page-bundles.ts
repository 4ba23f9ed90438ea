import { join } from "node:path";

/**
 * The page scripts made by bundling, by URL: the desk's islands with Alpine's CSP build (one
 * classic script), and the views' formatting rules as the ES module the other page scripts import.
 */
const BUNDLES = {
  "/static/js/desk.js": { entry: join(import.meta.dir, "../../public/js/desk/main.js"), format: "iife" },
  "/static/js/format.js": { entry: join(import.meta.dir, "../shared/format.ts"), format: "esm" },
} as const;

/** The desk bundle's entry module (public/js/desk/main.js). */
export const DESK_ENTRY = BUNDLES["/static/js/desk.js"].entry;

export async function buildPageBundles(): Promise<Record<string, string>> {
  const built = await Promise.all(
    Object.entries(BUNDLES).map(async ([url, { entry, format }]) => {
      const r = await Bun.build({ entrypoints: [entry], format, minify: true, target: "browser" });
      if (!r.success || !r.outputs[0]) throw new Error(`${url} bundle: ${r.logs.map(String).join("\n")}`);
      return [url, await r.outputs[0].text()] as const;
    }),
  );
  return Object.fromEntries(built);
}
