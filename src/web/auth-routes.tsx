import { Html } from "@elysiajs/html";
import { Elysia } from "elysia";
import type { AppContext } from "./app-context";
import { randomToken, timingSafeEqualText } from "../auth/crypto";
import { passwordSchema, UserError, usernameSchema } from "../auth/users-service";
import { LoginPage, SetupDonePage, SetupPage } from "../../views/auth-pages";
import { authPlugin, readCookie, SESSION_COOKIE } from "./auth-plugin";
import { htmlResponse as html } from "./html-response";
import { clientAddress } from "./proxy";

/** Before a session exists, forms are protected by a double-submit cookie. */
const PRE_CSRF_COOKIE = "pre_csrf";

function cookie(name: string, value: string, opts: { tls: boolean; maxAge?: number }): string {
  const parts = [`${name}=${encodeURIComponent(value)}`, "Path=/", "HttpOnly", "SameSite=Lax"];
  if (opts.maxAge !== undefined) parts.push(`Max-Age=${opts.maxAge}`);
  if (opts.tls) parts.push("Secure");
  return parts.join("; ");
}

/** Only a local path may follow a login, never another site ("//evil", "https://…"). */
function safeNext(next: unknown): string {
  return typeof next === "string" && /^\/(?![/\\])[\x21-\x7e]*$/.test(next) && next !== "/login" ? next : "/";
}

function formField(body: unknown, name: string): string {
  const v = body && typeof body === "object" ? (body as Record<string, unknown>)[name] : undefined;
  return typeof v === "string" ? v : "";
}

export function authRoutes(ctx: AppContext) {
  const tls = Boolean(ctx.config.TLS_CERT_FILE);

  function preCsrf(request: Request): { value: string; setCookie?: string } {
    const existing = readCookie(request, PRE_CSRF_COOKIE);
    if (existing && existing.length >= 20) return { value: existing };
    const value = randomToken(18);
    return { value, setCookie: cookie(PRE_CSRF_COOKIE, value, { tls, maxAge: 3600 }) };
  }

  function preCsrfValid(request: Request, body: unknown): boolean {
    const expected = readCookie(request, PRE_CSRF_COOKIE);
    const sent = formField(body, "_csrf");
    return Boolean(expected) && timingSafeEqualText(sent, expected!);
  }

  async function startSession(userId: number, request: Request, ip: string, next: string): Promise<Response> {
    const s = await ctx.sessions.create(userId, request.headers.get("user-agent") ?? "", ip);
    const headers = new Headers({ location: next });
    headers.append("set-cookie", cookie(SESSION_COOKIE, s.token, { tls, maxAge: ctx.config.SESSION_TTL_HOURS * 3600 }));
    headers.append("set-cookie", cookie(PRE_CSRF_COOKIE, "", { tls, maxAge: 0 }));
    return new Response(null, { status: 303, headers });
  }

  function loginPage(request: Request, props: { username?: string; error?: string; next?: string }, status = 200) {
    const csrf = preCsrf(request);
    return html(
      <LoginPage csrf={csrf.value} {...props} />,
      status,
      csrf.setCookie ? { "set-cookie": csrf.setCookie } : {},
    );
  }

  return new Elysia({ name: "auth-routes" })
    .use(authPlugin(ctx))
    .get(
      "/login",
      async ({ request, query }) => {
        if (ctx.setup.active && (await ctx.users.count()) === 0) {
          return loginPage(request, {
            error: "No user exists yet: open the setup link printed in the server log.",
            next: safeNext(query.next),
          });
        }
        return loginPage(request, { next: safeNext(query.next) });
      },
      { detail: { hide: true } },
    )
    .post(
      "/login",
      async ({ request, body }) => {
        const username = formField(body, "username").trim().toLowerCase().slice(0, 40);
        const password = formField(body, "password");
        const next = safeNext(formField(body, "next"));
        if (!preCsrfValid(request, body))
          return loginPage(request, { username, next, error: "The form expired. Please try again." }, 403);
        const ip = clientAddress(request, ctx.config.TRUST_PROXY);
        // The attempt is counted before the slow password check, so parallel guesses cannot all slip under the limit.
        const { byAddress, byUser } = ctx.loginLimits;
        const addressWait = byAddress.reserve(ip);
        const userWait = addressWait > 0 ? 0 : byUser.reserve(username);
        if (addressWait === 0 && userWait > 0) byAddress.release(ip);
        const wait = Math.max(addressWait, userWait);
        if (wait > 0) {
          ctx.logger.warn("auth.login.throttled", { username, ip, retry_after_s: wait });
          const res = await loginPage(
            request,
            { username, next, error: `Too many failed attempts. Try again in ${Math.ceil(wait / 60)} min.` },
            429,
          );
          res.headers.set("retry-after", String(wait));
          return res;
        }
        const user = username ? await ctx.users.findByUsername(username) : undefined;
        // Verify even for unknown users so response time does not reveal which usernames exist.
        const ok = await Bun.password.verify(password || "-", user?.passwordHash ?? DUMMY_HASH).catch(() => false);
        if (!user || !ok) {
          ctx.logger.warn("auth.login.failed", { username, ip, reason: user ? "wrong password" : "unknown user" });
          // 200: the form is shown again with its message (a 401 would only add browser console noise).
          return loginPage(request, { username, next, error: "Wrong username or password." });
        }
        byUser.reset(username);
        byAddress.release(ip);
        ctx.logger.info("auth.login", { username, ip });
        return startSession(user.id, request, ip, next);
      },
      { detail: { hide: true } },
    )
    .post(
      "/logout",
      async ({ request, auth }) => {
        const sid = readCookie(request, SESSION_COOKIE);
        if (sid) await ctx.sessions.destroy(sid);
        ctx.logger.info("auth.logout", { username: auth.username });
        return new Response(null, {
          status: 303,
          headers: { location: "/login", "set-cookie": cookie(SESSION_COOKIE, "", { tls, maxAge: 0 }) },
        });
      },
      { detail: { hide: true } },
    )
    .get(
      "/setup",
      async ({ request, query }) => {
        const token = typeof query.token === "string" ? query.token : "";
        if (!ctx.setup.matches(token) || (await ctx.users.count()) > 0) return html(<SetupDonePage />, 410);
        const csrf = preCsrf(request);
        return html(
          <SetupPage csrf={csrf.value} token={token} />,
          200,
          csrf.setCookie ? { "set-cookie": csrf.setCookie } : {},
        );
      },
      { detail: { hide: true } },
    )
    .post(
      "/setup",
      async ({ request, body }) => {
        const token = formField(body, "token");
        if (!ctx.setup.matches(token)) return html(<SetupDonePage />, 410);
        const username = formField(body, "username");
        const again = (error: string, status = 200) =>
          html(<SetupPage csrf={preCsrf(request).value} token={token} username={username} error={error} />, status);
        if (!preCsrfValid(request, body)) return again("The form expired. Please try again.", 403);
        const name = usernameSchema.safeParse(username);
        if (!name.success) return again(name.error.issues[0]!.message);
        const password = formField(body, "password");
        const pw = passwordSchema.safeParse(password);
        if (!pw.success) return again(pw.error.issues[0]!.message);
        if (password !== formField(body, "password2")) return again("The two passwords differ.");
        try {
          const user = await ctx.users.create(
            name.data,
            password,
            { kind: "user", label: `${name.data} (first-run setup)`, userId: null },
            { onlyIfFirst: true },
          );
          ctx.setup.spend();
          ctx.logger.info("setup.done", { username: user.username });
          return startSession(user.id, request, clientAddress(request, ctx.config.TRUST_PROXY), "/");
        } catch (err) {
          if (err instanceof UserError) return html(<SetupDonePage />, 410);
          throw err;
        }
      },
      { detail: { hide: true } },
    );
}

// A real argon2id hash of a random password, so failed lookups cost the same as wrong passwords.
const DUMMY_HASH = await Bun.password.hash(randomToken(), { algorithm: "argon2id" });
