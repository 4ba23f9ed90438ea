import { readFileSync } from "node:fs";
import alpineJs from "@alpinejs/csp/dist/cdn.min.js" with { type: "file" };
import htmxJs from "htmx.org/dist/htmx.min.js" with { type: "file" };
import uplotCss from "uplot/dist/uPlot.min.css" with { type: "file" };
import uplotJs from "uplot/dist/uPlot.iife.min.js" with { type: "file" };
import appCss from "../../public/css/app.css" with { type: "file" };
import favicon from "../../public/favicon.svg" with { type: "file" };
import appJs from "../../public/js/app.js" with { type: "file" };
import statusBarJs from "../../public/js/status-bar.js" with { type: "file" };
import liveRefreshJs from "../../public/js/live-refresh.js" with { type: "file" };
import alertsJs from "../../public/js/alerts.js" with { type: "file" };
import journalJs from "../../public/js/journal.js" with { type: "file" };
import positionsJs from "../../public/js/positions.js" with { type: "file" };
import replayJs from "../../public/js/replay.js" with { type: "file" };
import { buildPageBundles, DESK_ENTRY } from "./page-bundles";
import { PREBUILT } from "./page-bundles-prebuilt";

/**
 * Made by the server, not read from a file: the page scripts bundled (the desk's islands, the
 * formatting rules), at start from source or at build time for the binary.
 */
const BUILT: Readonly<Record<string, string>> = PREBUILT ?? (await buildPageBundles());

/**
 * Every file the browser may fetch, by URL. A static list (not a directory scan) so that
 * `bun build --compile` embeds them; nothing comes from a CDN.
 */
export const ASSETS: Readonly<Record<string, string>> = {
  // What is served is the sheet with its parts joined in (BUILT).
  "/static/css/app.css": appCss,
  "/static/js/app.js": appJs,
  "/static/js/status-bar.js": statusBarJs,
  // Its entry module; what is served is the bundle built from it and the modules it imports (BUILT).
  "/static/js/desk.js": DESK_ENTRY,
  "/static/js/live-refresh.js": liveRefreshJs,
  "/static/js/alerts.js": alertsJs,
  "/static/js/journal.js": journalJs,
  "/static/js/positions.js": positionsJs,
  "/static/js/replay.js": replayJs,
  "/static/favicon.svg": favicon,
  "/vendor/htmx.min.js": htmxJs,
  "/vendor/alpine.min.js": alpineJs,
  "/vendor/uPlot.min.css": uplotCss,
  "/vendor/uPlot.iife.min.js": uplotJs,
};

const TYPES: Record<string, string> = {
  css: "text/css; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  svg: "image/svg+xml",
};

interface Loaded {
  body: Uint8Array<ArrayBuffer>;
  gzip: Uint8Array<ArrayBuffer> | null;
  etag: string;
  type: string;
}
const loaded = new Map<string, Loaded>();

/** Read once, hashed for revalidation, gzipped when that saves bytes (text assets). */
function load(urlPath: string): Loaded | undefined {
  let a = loaded.get(urlPath);
  if (a) return a;
  const file = ASSETS[urlPath];
  const built = BUILT[urlPath];
  if (!file && built === undefined) return undefined;
  const ext = urlPath.slice(urlPath.lastIndexOf(".") + 1);
  const type = TYPES[ext] ?? "application/octet-stream";
  const body = built !== undefined ? new TextEncoder().encode(built) : new Uint8Array(readFileSync(file!));
  const gz = type.startsWith("text/") || ext === "svg" ? new Uint8Array(Bun.gzipSync(body, { level: 9 })) : null;
  a = {
    body,
    gzip: gz && gz.length < body.length * 0.9 ? gz : null,
    etag: `"${new Bun.CryptoHasher("sha256").update(body).digest("hex").slice(0, 20)}"`,
    type,
  };
  loaded.set(urlPath, a);
  return a;
}

export function assetResponse(urlPath: string, request?: Request): Response | undefined {
  const a = load(urlPath);
  if (!a) return undefined;
  const headers: Record<string, string> = {
    "content-type": a.type,
    etag: a.etag,
    vary: "accept-encoding",
    // Vendor files change only with a dependency upgrade; ours with a deploy (then the ETag changes).
    "cache-control": urlPath.startsWith("/vendor/") ? "public, max-age=86400" : "no-cache",
  };
  if (request?.headers.get("if-none-match") === a.etag) return new Response(null, { status: 304, headers });
  if (a.gzip && /\bgzip\b/.test(request?.headers.get("accept-encoding") ?? "")) {
    return new Response(a.gzip, { headers: { ...headers, "content-encoding": "gzip" } });
  }
  return new Response(a.body, { headers });
}
