import { expect } from "bun:test";

// Waiting in tests: on the condition the test is about, polled, never a fixed sleep that hopes the
// thing has happened by then. For tests only.

type Cond = () => boolean | Promise<boolean>;

/** Polls `cond` every `every` ms until it holds or `ms` have passed; says whether it held. */
export async function until(cond: Cond, ms = 3000, every = 5): Promise<boolean> {
  const end = performance.now() + ms;
  for (;;) {
    if (await cond()) return true;
    if (performance.now() > end) return false;
    await Bun.sleep(every);
  }
}

/** `until`, then the condition asserted: a test that waits for something fails if it never comes. */
export async function eventually(cond: Cond, ms = 3000, every = 5): Promise<void> {
  await until(cond, ms, every);
  expect(await cond()).toBe(true);
}

/**
 * Something must NOT happen: there is no event to wait for, so the whole `ms` is waited (bounded,
 * named for what it is) and then `check`, the test's assertions, runs.
 */
export async function expectQuietFor(ms: number, check: () => void | Promise<void>): Promise<void> {
  await Bun.sleep(ms);
  await check();
}
