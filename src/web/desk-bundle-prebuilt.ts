/**
 * The desk's page script as bundled at build time. Null when run from source (the server
 * bundles it at start, desk-bundle.ts); scripts/build.ts replaces this file's content with the
 * bundle when it compiles the single binary, which has no sources to bundle from.
 */
export const PREBUILT: string | null = null;
