import { expect, test } from "bun:test";
import { FailureLimiter } from "./rate-limit";

test("failures lock a key until the window passes", () => {
  let now = 0;
  const l = new FailureLimiter(3, 60_000, () => now);
  for (let i = 0; i < 3; i++) {
    expect(l.retryAfter("a")).toBe(0);
    l.fail("a");
  }
  expect(l.retryAfter("a")).toBe(60);
  expect(l.retryAfter("b")).toBe(0);
  now = 30_000;
  expect(l.retryAfter("a")).toBe(30);
  now = 60_001;
  expect(l.retryAfter("a")).toBe(0);
  l.fail("a");
  l.reset("a");
  expect(l.retryAfter("a")).toBe(0);
});

test("memory stays bounded under many distinct keys", () => {
  const l = new FailureLimiter(1, 60_000, () => 0, 100);
  for (let i = 0; i < 10_000; i++) l.fail(`k${i}`);
  expect((l as unknown as { hits: Map<string, unknown> }).hits.size).toBeLessThanOrEqual(100);
});
