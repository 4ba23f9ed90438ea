import type { Actor } from "./types";

/** The engine itself (fills, cancels, closed trades). */
export const RULE: Actor = { kind: "rule", label: "engine", userId: null };
const ruleActors = new Map<string, Actor>();
/** One frozen actor per rule name: every automated event carries one. */
export function rule(name: string): Actor {
  let a = ruleActors.get(name);
  if (!a) ruleActors.set(name, (a = Object.freeze({ kind: "rule", label: `rule ${name}`, userId: null })));
  return a;
}
const tpRules: Actor[] = [];
/** The actor of take-profit level n (1-based). */
export const tpRule = (n: number): Actor => (tpRules[n] ??= rule(`tp${n}`));
