import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";

export interface DirLock {
  release(): void;
}

export class LockedError extends Error {
  override name = "LockedError";
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** An exclusive pid file; a stale one (its process gone) is taken over. */
export function acquireDirLock(path: string): DirLock {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx", 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        try {
          if (readFileSync(path, "utf8") === String(process.pid)) unlinkSync(path);
        } catch {
          /* already gone */
        }
      };
      process.once("exit", release);
      return { release };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const pid = Number(readFileSync(path, "utf8").trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new LockedError(
          `the embedded database in ${path.replace(/\/[^/]+$/, "")} is in use by process ${pid}; stop it or set DATA_DIR/DATABASE_URL`,
        );
      }
      unlinkSync(path);
    }
  }
  throw new LockedError(`could not lock ${path}`);
}
