import { CompiledQuery, type Kysely } from "kysely";
import type { Database } from "../persistence/database";
import { SCRIPT_MARK, SqlScript, STATEMENT_BREAK } from "../persistence/multi-row";
import { writeStep } from "../persistence/repositories/engine-repo";
import type { TradingEngine } from "./engine/engine";
import type { Position } from "./engine/types";
import type { Ownership } from "./ownership";
import type { StepBatch } from "./step-batch";

/**
 * The batch's state, copied now (before any await: later steps belong to the next batch),
 * written in one transaction fenced by the leases of the batch's users.
 */
export function writeBatch(
  db: Kysely<Database>,
  engine: TradingEngine,
  ownership: Ownership,
  batch: StepBatch,
  usersOf: (batch: StepBatch) => Set<number>,
  /** Postgres takes a batch's statements as one query (one round trip); PGlite one by one. */
  batchInOneQuery: boolean,
): Promise<void> {
  // A position is never stored with an order whose own row is not in the same transaction.
  // The statements are built now, from the state as it is: later steps belong to the next batch.
  const positions = [...batch.keys].map((k) => engine.positionByKey(k)).filter((x): x is Position => x !== undefined);
  const script = new SqlScript();
  writeStep(script, { positions, ...batch.write });
  batch.side?.seal(script);
  if (!script.statements.length) return Promise.resolve();
  const users = usersOf(batch);
  // Postgres: fence and writes as one query, one implicit transaction, one round trip.
  if (batchInOneQuery && ownership.fenceStatement) {
    let text: string;
    try {
      text =
        SCRIPT_MARK + [ownership.fenceStatement(users), ...script.statements].filter(Boolean).join(STATEMENT_BREAK);
    } catch (err) {
      return Promise.reject(err);
    }
    const failure = (err: unknown) => ownership.fenceFailure?.(err) ?? err;
    return db.executeQuery(CompiledQuery.raw(text, [])).then(
      () => undefined,
      (err) => Promise.reject(failure(err)),
    );
  }
  return db.transaction().execute(async (trx) => {
    // First, and holding the shard rows until commit: a takeover waits for this write, or this write fails.
    await ownership.fence(trx, users);
    await script.run(trx, batchInOneQuery);
  });
}
