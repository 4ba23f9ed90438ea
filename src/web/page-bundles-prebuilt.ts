/**
 * The page bundles as built at build time, by URL. Null when run from source (the server bundles
 * them at start, page-bundles.ts); scripts/build.ts replaces this file's content with the bundles
 * when it compiles the single binary, which has no sources to bundle from.
 */
export const PREBUILT: Readonly<Record<string, string>> | null = null;
