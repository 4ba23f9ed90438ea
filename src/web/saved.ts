import type { Notice } from "../../views/settings/notice";
import { AppError } from "../shared/app-error";

/**
 * A settings save: `fn` answers the confirmation; a refusal (an AppError, or another error
 * `refused` recognises as the trader's) becomes the section's notice with its status. Anything
 * else is a defect and goes on to the error handler.
 */
export async function saved(
  fn: () => Promise<string>,
  refused: (err: unknown) => number | undefined = () => undefined,
): Promise<{ notice: Notice; status: number }> {
  try {
    return { notice: { ok: true, message: await fn() }, status: 200 };
  } catch (err) {
    const status = err instanceof AppError ? err.status : refused(err);
    if (status === undefined) throw err;
    return { notice: { ok: false, message: (err as Error).message }, status };
  }
}
