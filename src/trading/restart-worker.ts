/**
 * A trading engine in a process of its own, for the restart test: it resumes from the
 * database, then applies JSON lines from stdin (prints and commands) one at a time and answers
 * `ack <seq>` once each is durable and its orders are answered. The test kills it with SIGKILL
 * at random moments and starts it again.
 */
import { memoryLogger } from "../log/logger";
import { InstrumentRegistry } from "../market-data/instruments/instrument-registry";
import { connectDatabase } from "../persistence/connect";
import { migrateUp } from "../persistence/migrator";
import { EngineService } from "./engine-service";
import type { Command } from "./engine/types";
import { PaperAdapter } from "./execution/paper-adapter";
import { ExecutionRouter } from "./execution/router";

export type WorkerLine =
  | { seq: number; type: "print"; symbol: string; price: number; ts: number }
  | { seq: number; type: "cmd"; accountId: number; symbol: string; command: Command; ts: number };

export async function runWorker(
  input: AsyncIterable<string>,
  write: (s: string) => void,
  env: { dataDir?: string; databaseUrl?: string; schema?: string },
): Promise<void> {
  const h = await connectDatabase({
    databaseUrl: env.databaseUrl,
    dataDir: env.dataDir ?? "",
    schema: env.schema,
    poolSize: 2,
  });
  await migrateUp(h.db);
  const registry = new InstrumentRegistry();
  let engine: EngineService | undefined;
  const paper = new PaperAdapter((r) => engine!.report(r), { tick: (s) => Number(registry.get(s)?.tickSize ?? 1n) });
  const webhookNever = {
    name: "webhook" as const,
    submit: () => {
      throw new Error("no webhook in this test");
    },
  };
  engine = new EngineService(h.db, registry, new ExecutionRouter(paper, webhookNever), memoryLogger("error"));
  await engine.start(0);
  const settle = async () => {
    for (let i = 0; i < 4; i++) {
      await Bun.sleep(0);
      await engine!.settled();
    }
  };
  await settle();
  write("ready\n");
  let buf = "";
  for await (const chunk of input) {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (!line.trim()) continue;
      const m = JSON.parse(line) as WorkerLine;
      if (m.type === "print") {
        engine.onTrade(m.symbol, m.price, m.ts);
        paper.onTrade(m.symbol, m.price);
      } else {
        try {
          await engine.command({
            type: "command",
            accountId: m.accountId,
            symbol: m.symbol,
            command: m.command,
            actor: { kind: "cli", label: "restart-test", userId: null },
            tsMs: m.ts,
            idempotencyKey: `line-${m.seq}`,
          });
        } catch (err) {
          write(`refused ${m.seq} ${(err as Error).message}\n`);
        }
      }
      await settle();
      write(`ack ${m.seq}\n`);
    }
  }
  await settle();
  await engine.stop();
  await h.close();
}

if (import.meta.main) {
  const decoder = new TextDecoder();
  const stdin = (async function* () {
    const reader = Bun.stdin.stream().getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield decoder.decode(value, { stream: true });
    }
  })();
  await runWorker(stdin, (s) => process.stdout.write(s), {
    dataDir: process.env.DATA_DIR,
    databaseUrl: process.env.DATABASE_URL,
    schema: process.env.TEST_SCHEMA,
  });
}
