import type { Kysely } from "kysely";
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Database } from "../persistence/database";
import { appendEvent, type Actor } from "../persistence/events";

export class SecretKeyError extends Error {
  override name = "SecretKeyError";
}

function decodeKey(text: string): Uint8Array<ArrayBuffer> {
  const t = text.trim();
  const bytes = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, "hex") : Buffer.from(t, "base64");
  if (bytes.length !== 32) throw new SecretKeyError("SECRET_KEY must be 32 bytes, as 64 hex characters or base64");
  return new Uint8Array(bytes);
}

/**
 * The key that encrypts secrets at rest: SECRET_KEY when set, else a key file created once
 * in DATA_DIR with mode 0600 (refused when others can read it).
 */
export function loadSecretKey(secretKeyEnv: string | undefined, keyFile: string): Uint8Array<ArrayBuffer> {
  if (secretKeyEnv) return decodeKey(secretKeyEnv);
  if (existsSync(keyFile)) {
    const mode = statSync(keyFile).mode & 0o777;
    if (mode & 0o077)
      throw new SecretKeyError(`${keyFile} is readable by others (mode ${mode.toString(8)}); run chmod 600 on it`);
    return decodeKey(readFileSync(keyFile, "utf8"));
  }
  mkdirSync(dirname(keyFile), { recursive: true });
  const key = crypto.getRandomValues(new Uint8Array(32));
  writeFileSync(keyFile, Buffer.from(key).toString("base64") + "\n", { mode: 0o600, flag: "wx" });
  chmodSync(keyFile, 0o600);
  return key;
}

export interface SecretInfo {
  scope: string;
  name: string;
  /** What a page may show: "••••FFFF" — never the value. */
  masked: string;
  updatedAt: Date;
}

function mask(value: string): string {
  return value.length <= 8 ? "••••" : `••••${value.slice(-4)}`;
}

/**
 * AES-256-GCM per value with a fresh IV; scope and name are bound as additional data so a
 * ciphertext copied onto another row fails to decrypt. Values leave this class only through
 * `reveal`, which the server calls to use a secret (never to show one).
 */
export class SecretsStore {
  private readonly key: Promise<CryptoKey>;

  constructor(
    private readonly db: Kysely<Database>,
    rawKey: Uint8Array<ArrayBuffer>,
  ) {
    this.key = crypto.subtle.importKey("raw", rawKey, "AES-GCM", false, ["encrypt", "decrypt"]);
  }

  private aad(scope: string, name: string): Uint8Array<ArrayBuffer> {
    return new TextEncoder().encode(`${scope}\u0000${name}`);
  }

  async set(scope: string, name: string, value: string, actor: Actor): Promise<void> {
    if (value.length === 0 || value.length > 4096) throw new Error("secret value must be 1 to 4096 characters");
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const ciphertext = new Uint8Array(
      await crypto.subtle.encrypt(
        { name: "AES-GCM", iv, additionalData: this.aad(scope, name) },
        await this.key,
        new TextEncoder().encode(value),
      ),
    );
    const hint = mask(value);
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto("secrets")
        .values({ scope, name, iv, ciphertext, hint })
        .onConflict((oc) => oc.columns(["scope", "name"]).doUpdateSet({ iv, ciphertext, hint, updated_at: new Date() }))
        .execute();
      await appendEvent(trx, { actor, kind: "secret.set", reason: `secret ${scope}/${name} set (${hint})` });
    });
  }

  async reveal(scope: string, name: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom("secrets")
      .select(["iv", "ciphertext"])
      .where("scope", "=", scope)
      .where("name", "=", name)
      .executeTakeFirst();
    if (!row) return undefined;
    try {
      const plain = await crypto.subtle.decrypt(
        { name: "AES-GCM", iv: new Uint8Array(row.iv), additionalData: this.aad(scope, name) },
        await this.key,
        new Uint8Array(row.ciphertext),
      );
      return new TextDecoder().decode(plain);
    } catch {
      throw new SecretKeyError(`secret ${scope}/${name} cannot be decrypted: SECRET_KEY or the key file changed`);
    }
  }

  async list(scope: string): Promise<SecretInfo[]> {
    const rows = await this.db
      .selectFrom("secrets")
      .select(["scope", "name", "hint", "updated_at"])
      .where("scope", "=", scope)
      .orderBy("name")
      .execute();
    return rows.map((r) => ({ scope: r.scope, name: r.name, masked: r.hint, updatedAt: new Date(r.updated_at) }));
  }

  async delete(scope: string, name: string, actor: Actor): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const res = await trx
        .deleteFrom("secrets")
        .where("scope", "=", scope)
        .where("name", "=", name)
        .executeTakeFirst();
      if (Number(res.numDeletedRows) === 0) return false;
      await appendEvent(trx, { actor, kind: "secret.deleted", reason: `secret ${scope}/${name} deleted` });
      return true;
    });
  }
}
