import { join } from "node:path";

/** The desk's islands (public/js/desk/main.js) and Alpine's CSP build, bundled into one classic script. */
export const DESK_ENTRY = join(import.meta.dir, "../../public/js/desk/main.js");

export async function buildDeskBundle(): Promise<string> {
  const r = await Bun.build({ entrypoints: [DESK_ENTRY], format: "iife", minify: true, target: "browser" });
  if (!r.success || !r.outputs[0]) throw new Error(`desk bundle: ${r.logs.map(String).join("\n")}`);
  return r.outputs[0].text();
}
