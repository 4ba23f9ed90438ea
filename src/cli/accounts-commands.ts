import { ApiTokensService } from "../auth/api-tokens-service";
import { UsersService, type User } from "../auth/users-service";
import type { Config } from "../config/config";
import type { Actor } from "../persistence/events";
import { CliError, withDatabase, type CliIo } from "./io";

const cliActor = (what: string): Actor => ({ kind: "cli", label: `cli (${what})`, userId: null });

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  if (!v || v.startsWith("--")) throw new CliError(`${name} needs a value`);
  args.splice(i, 2);
  return v;
}

export async function userCommand(config: Config, argsIn: string[], io: CliIo): Promise<void> {
  const args = [...argsIn];
  const admin = args.includes("--admin");
  if (admin) args.splice(args.indexOf("--admin"), 1);
  const [sub, name] = args;
  await withDatabase(config, async ({ db }) => {
    const users = new UsersService(db);
    if (sub === "add" && name) {
      const password = (await io.readStdin()).split(/\r?\n/)[0] ?? "";
      if (!password)
        throw new CliError("no password on stdin: printf '%s\\n' \"$PASSWORD\" | bun run cli user add <name>");
      const user = await users.create(name, password, cliActor("user add"), { admin });
      io.out(
        `created user ${user.username} (id ${user.id}) with accounts paper, live${user.isAdmin ? "; an administrator" : ""}`,
      );
    } else if (sub === "list") {
      for (const u of await users.list()) io.out(`${u.id}\t${u.username}${u.isAdmin ? "\tadmin" : ""}`);
    } else throw new CliError("usage: user add <name> [--admin] | user list");
  });
}

/** The user named by --user, else the only one there is. */
async function tokenOwner(users: UsersService, username: string | undefined): Promise<User> {
  if (username) {
    const user = await users.findByUsername(username);
    if (!user) throw new CliError(`no user named "${username}"`);
    return user;
  }
  const all = await users.list();
  if (all.length === 0) throw new CliError("no user exists yet: create one with `user add <name>` or the setup link");
  if (all.length > 1)
    throw new CliError(`several users exist: name one with --user (${all.map((u) => u.username).join(", ")})`);
  return all[0]!;
}

export async function tokenCommand(config: Config, argsIn: string[], io: CliIo): Promise<void> {
  const args = [...argsIn];
  const username = option(args, "--user");
  const [sub, name] = args;
  await withDatabase(config, async ({ db }) => {
    const users = new UsersService(db);
    const tokens = new ApiTokensService(db);
    const user = await tokenOwner(users, username);
    if (sub === "create" && name) {
      const { token } = await tokens.create(user.id, name, cliActor("token create"));
      io.out(`created API token "${name}" for ${user.username}; it is shown only now:`);
      io.out(token);
    } else if (sub === "list") {
      for (const t of await tokens.list(user.id)) {
        io.out(`${t.name}\tcreated ${t.createdAt.toISOString()}\tlast used ${t.lastUsedAt?.toISOString() ?? "never"}`);
      }
    } else if (sub === "revoke" && name) {
      if (!(await tokens.revoke(user.id, name, cliActor("token revoke"))))
        throw new CliError(`no active token named "${name}"`);
      io.out(`revoked API token "${name}"`);
    } else throw new CliError("usage: token create|list|revoke <name> [--user U]");
  });
}
