// The run's own databases on the admin connection, and our server's seeded user and API token.
import pg from "pg";
import { ApiTokensService } from "../../src/auth/api-tokens-service";
import { UsersService } from "../../src/auth/users-service";
import { connectDatabase } from "../../src/persistence/connect";
import { migrateUp } from "../../src/persistence/migrator";
import { admin } from "./options";

export async function adminQuery(sql: string): Promise<string> {
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  try {
    const r = await c.query(sql);
    return String(Object.values(r.rows[0] ?? {})[0] ?? "");
  } finally {
    await c.end();
  }
}

export function urlFor(db: string, port?: number): string {
  const u = new URL(admin);
  u.pathname = `/${db}`;
  if (port !== undefined) u.port = String(port);
  return u.toString();
}

/** The user and API token the load uses, created directly in our server's database. */
export async function seedUser(databaseUrl: string | undefined, dataDir: string): Promise<string> {
  const h = await connectDatabase({ databaseUrl, dataDir });
  try {
    await migrateUp(h.db);
    const actor = { kind: "cli" as const, label: "bench", userId: null };
    const user = await new UsersService(h.db).create("bench", "bench password 123", actor);
    return (await new ApiTokensService(h.db).create(user.id, "bench", actor)).token;
  } finally {
    await h.close();
  }
}
