import type { Transaction } from "kysely";
import type { Database } from "../persistence/database";

/**
 * Which users' accounts this instance runs the engine for. Alone on a database (embedded
 * PGlite, whose directory belongs to one process) it runs them all; on a shared Postgres the
 * shard leases decide (persistence/shard-leases.ts), and every engine write is fenced by them.
 */
export interface Ownership {
  ownsUser(userId: number): boolean;
  /** Inside an engine write transaction: throws unless these users' accounts are still this instance's. */
  fence(trx: Transaction<Database>, userIds: Iterable<number>): Promise<void>;
  /** Still inside the lease by the local clock: what was committed may be sent to brokers and browsers. */
  mayRelease(userIds: Iterable<number>): boolean;
  /** The fence as the first statement of a batch sent as one query (throws as `fence` does); undefined: nothing to check. */
  fenceStatement?(userIds: Iterable<number>): string | undefined;
  /** That batch's error as the fence's own, when the fence is what failed. */
  fenceFailure?(err: unknown): unknown;
}

/** The answer to a command for an account this instance does not run (now): a retry reaches whoever does. */
export const ACCOUNT_MOVED =
  "this account is not run by this instance at the moment (it is moving to another instance): try again in a few seconds";

export const SOLE_OWNER: Ownership = {
  ownsUser: () => true,
  fence: async () => {},
  mayRelease: () => true,
};
