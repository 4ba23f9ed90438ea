import { expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { acquireDirLock, LockedError } from "./dir-lock";

test("a second holder is refused while the first lives; a stale lock is taken over", () => {
  const path = join(mkdtempSync(join(tmpdir(), "lock-")), "pglite.lock");
  const first = acquireDirLock(path);
  // Pretend another live process (pid 1 always exists) holds it.
  writeFileSync(path, "1");
  expect(() => acquireDirLock(path)).toThrow(LockedError);
  expect(() => acquireDirLock(path)).toThrow(/in use by process 1/);
  // A pid that cannot exist: stale, taken over.
  writeFileSync(path, "2147483646");
  const second = acquireDirLock(path);
  second.release();
  first.release();
  const third = acquireDirLock(path);
  third.release();
});
