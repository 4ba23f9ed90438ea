import { Html } from "@elysiajs/html";
import type { DeskStateProps } from "./props";

export function ErrorNote({ error, here }: { error?: DeskStateProps["error"]; here: string }) {
  return error && error.for === here ? (
    <p class="alert alert-error field-error" role="alert" safe>
      {error.message}
    </p>
  ) : (
    ""
  );
}

/** A field's value: as typed when its form (`where`) was just refused, else what is stored. */
export function typedOr(s: DeskStateProps, where: string, name: string, stored: string): string {
  const t = s.error?.for === where ? s.typed?.[name] : undefined;
  return t ?? stored;
}

export function Hidden({ s, version }: { s: DeskStateProps; version?: number }) {
  return (
    <>
      <input type="hidden" name="account" value={s.account} />
      <input type="hidden" name="symbol" value={s.inst.root} />
      {version !== undefined ? <input type="hidden" name="version" value={String(version)} /> : ""}
    </>
  );
}
