import type { Kysely } from "kysely";
import type { Database } from "../persistence/database";
import { appendEvent, type Actor } from "../persistence/events";
import { updateExecution } from "../persistence/repositories/accounts-repo";
import { AppError } from "../shared/app-error";
import type { z } from "zod";
import type { executionBody } from "./schemas";

export interface WebhookSecrets {
  set(scope: string, name: string, value: string, actor: Actor): Promise<void>;
  delete(scope: string, name: string, actor: Actor): Promise<boolean>;
}

/**
 * Route (paper / webhook), the webhook URL (write-only, kept encrypted) and commission of an
 * account: only a live account may send orders out; the change and its audit event are one transaction.
 */
export async function applyExecution(
  db: Kysely<Database>,
  actor: Actor,
  account: { id: number; name: string; kind: string },
  b: z.infer<typeof executionBody>,
  secrets: WebhookSecrets,
): Promise<void> {
  if (b.route === "webhook" && account.kind !== "live")
    throw new AppError(
      400,
      `body.route: only a live account can send orders to a webhook (${account.name} is ${account.kind})`,
    );
  if (b.webhookUrl !== undefined && account.kind !== "live")
    throw new AppError(400, `body.webhookUrl: ${account.name} is a ${account.kind} account; it never sends orders out`);
  if (b.webhookUrl) await secrets.set("webhook", `account:${account.id}`, b.webhookUrl, actor);
  else if (b.webhookUrl === null) await secrets.delete("webhook", `account:${account.id}`, actor);
  if (b.route === undefined && b.commission === undefined) return;
  const what = [
    b.route ? `route ${b.route}` : "",
    b.commission !== undefined ? `commission $${(b.commission / 1e9).toFixed(2)} per contract per side` : "",
  ];
  await db.transaction().execute(async (trx) => {
    await updateExecution(trx, account.id, { execution: b.route, commission: b.commission });
    await appendEvent(trx, {
      actor,
      accountId: account.id,
      kind: "account.execution",
      reason: `${account.name}: ${what.filter(Boolean).join(", ")}`,
    });
  });
}
