// Clean-up of bench/ticks-to-ws.ts: every child process, the schema and the gateway, also on Ctrl-C and errors.
const cleanups: { name: string; fn: () => Promise<void> }[] = [];
/** Registers a clean-up step; the returned function runs it now (once) and drops it from the list. */
export function onCleanup(name: string, fn: () => Promise<void>): () => Promise<void> {
  const entry = { name, fn };
  cleanups.push(entry);
  return async () => {
    const i = cleanups.indexOf(entry);
    if (i < 0) return;
    cleanups.splice(i, 1);
    await fn();
  };
}
let cleaning: Promise<void> | undefined;
/** Runs what is still registered, newest first (server processes before the gateway). */
export function cleanUp(): Promise<void> {
  return (cleaning ??= (async () => {
    while (cleanups.length) {
      const { name, fn } = cleanups.pop()!;
      await fn().catch((err) => console.error(`clean-up (${name}) failed: ${(err as Error).message}`));
    }
  })());
}
for (const [signal, code] of [
  ["SIGINT", 130],
  ["SIGTERM", 143],
  ["SIGHUP", 129],
] as const) {
  process.on(signal, () => {
    console.error(`\n${signal}: stopping the server processes and dropping the schema…`);
    void cleanUp().finally(() => process.exit(code));
  });
}
