// Imports only point down, and no module imports itself back: the layers below, lowest first, and
// a search for cycles over every import (type-only ones too: a cycle of types is still one to read).
// Tests and test support may import anything; they are not checked.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "..");

/** Path prefixes, lowest layer first; a file belongs to the longest prefix it starts with. */
export const LAYERS: string[][] = [
  ["src/shared/", "src/types/"],
  ["src/log/", "src/market-data/instruments/"],
  ["src/config/"],
  ["src/trading/engine/"],
  ["src/persistence/", "src/security/"],
  // The registry reads DBN instrument definitions, so it stands with the rest of market data.
  ["src/market-data/", "src/market-data/instruments/instrument-registry.ts"],
  ["src/auth/"],
  ["src/trading/"],
  ["src/replay/", "src/cluster/"],
  ["src/web/", "views/", "public/"],
  ["src/app/"],
  ["src/cli/"],
  ["src/main.ts"],
];

const TEST_SUPPORT = [
  /\.test\.tsx?$/,
  /(^|\/)test-[^/]+\.ts$/,
  /-harness\.ts$/,
  /^src\/scenarios\//,
  /fuzz-cases\.ts$/,
];

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(join(ROOT, dir))) {
    const rel = join(dir, name);
    if (statSync(join(ROOT, rel)).isDirectory()) sources(rel, out);
    else if (/\.(ts|tsx|js)$/.test(name) && !name.endsWith(".d.ts")) out.push(rel);
  }
  return out;
}

function layerOf(file: string): { rank: number; prefix: string } | undefined {
  let best: { rank: number; prefix: string } | undefined;
  LAYERS.forEach((prefixes, rank) => {
    for (const p of prefixes)
      if (file.startsWith(p) && (!best || p.length > best.prefix.length)) best = { rank, prefix: p };
  });
  return best;
}

function resolveImport(from: string, spec: string): string | undefined {
  const base = resolve(ROOT, dirname(from), spec);
  for (const c of [base, `${base}.ts`, `${base}.tsx`, `${base}.js`, join(base, "index.ts")])
    if (existsSync(c) && statSync(c).isFile()) return relative(ROOT, c);
  return undefined;
}

/** Relative imports of a file (static, re-exports and dynamic), resolved to project paths. */
export function importsOf(file: string, text = readFileSync(join(ROOT, file), "utf8")): string[] {
  const out: string[] = [];
  const re =
    /(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s*["']([^"']+)["']|\bimport\s*\(\s*["']([^"']+)["']\s*\)|(?:^|\n)\s*import\s*["']([^"']+)["']/g;
  for (const m of text.matchAll(re)) {
    const spec = m[1] ?? m[2] ?? m[3]!;
    if (!spec.startsWith(".")) continue;
    const target = resolveImport(file, spec);
    if (target) out.push(target);
  }
  return out;
}

export function check(files: string[]): string[] {
  const problems: string[] = [];
  const checked = files.filter((f) => !TEST_SUPPORT.some((r) => r.test(f)));
  const graph = new Map<string, string[]>();
  for (const f of checked) {
    const from = layerOf(f);
    if (!from) problems.push(`${f}: in no layer (add its folder to LAYERS in scripts/check-imports.ts)`);
    const deps = importsOf(f).filter((t) => !TEST_SUPPORT.some((r) => r.test(t)));
    graph.set(f, deps);
    for (const t of deps) {
      const to = layerOf(t);
      if (from && to && to.rank > from.rank) problems.push(`${f} imports ${t}: ${to.prefix} is above ${from.prefix}`);
    }
  }
  // Cycles: depth-first search; a grey node met again closes a cycle.
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const seen = new Set<string>();
  const visit = (f: string) => {
    state.set(f, 1);
    stack.push(f);
    for (const t of graph.get(f) ?? []) {
      if (state.get(t) === 1) {
        const cycle = [...stack.slice(stack.indexOf(t)), t];
        const key = [...cycle].sort().join(" ");
        if (!seen.has(key)) problems.push(`import cycle: ${cycle.join(" → ")}`), seen.add(key);
      } else if (!state.has(t)) visit(t);
    }
    stack.pop();
    state.set(f, 2);
  };
  for (const f of graph.keys()) if (!state.has(f)) visit(f);
  return problems;
}

if (import.meta.main) {
  const files = [...sources("src"), ...sources("views"), ...sources("public/js")];
  const problems = check(files);
  for (const p of problems) console.error(p);
  if (problems.length) {
    console.error(`\n${problems.length} import problem(s) in ${files.length} files`);
    process.exit(1);
  }
  console.log(`imports point down, no cycles (${files.length} files, ${LAYERS.length} layers)`);
}
