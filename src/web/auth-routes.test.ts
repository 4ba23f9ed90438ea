import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { testDatabaseKind } from "../persistence/test-database";
import { createHarness, type Harness } from "./test-harness";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

/** A minimal browser: keeps cookies, follows nothing, reads hidden form fields. */
class Browser {
  cookies = new Map<string, string>();
  constructor(readonly h: Harness) {}
  async go(path: string, init: RequestInit = {}) {
    const headers = new Headers(init.headers);
    headers.set("cookie", [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "));
    headers.set("user-agent", "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) Firefox/140.0");
    const res = await this.h.fetch(path, { ...init, headers });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(";");
      const [k, v] = pair!.split("=") as [string, string];
      if (/Max-Age=0/.test(c)) this.cookies.delete(k);
      else this.cookies.set(k, v);
    }
    return res;
  }
  async post(path: string, form: Record<string, string>) {
    return this.go(path, {
      method: "POST",
      body: new URLSearchParams(form),
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
  }
}

function hidden(html: string, name: string): string {
  return new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1] ?? "";
}

describe(`first-run setup, login, logout (${testDatabaseKind})`, () => {
  test("setup link works once and creates the first user with a session", async () => {
    const token = h.ctx.setup.issue();
    const b = new Browser(h);
    expect((await b.go("/setup?token=wrong")).status).toBe(410);
    const page = await (await b.go(`/setup?token=${token}`)).text();
    expect(page).toContain("Create the first user");
    const csrf = hidden(page, "_csrf");
    const mismatch = await b.post("/setup", {
      _csrf: csrf,
      token,
      username: "alice",
      password: "long enough password",
      password2: "different password!",
    });
    expect(mismatch.status).toBe(200);
    expect(await mismatch.text()).toContain("The two passwords differ.");
    const short = await b.post("/setup", {
      _csrf: csrf,
      token,
      username: "alice",
      password: "short",
      password2: "short",
    });
    expect(await short.text()).toContain("at least 10 characters");
    const noCsrf = await b.post("/setup", {
      _csrf: "x",
      token,
      username: "alice",
      password: "long enough password",
      password2: "long enough password",
    });
    expect(noCsrf.status).toBe(403);
    const done = await b.post("/setup", {
      _csrf: csrf,
      token,
      username: "Alice",
      password: "long enough password",
      password2: "long enough password",
    });
    expect(done.status).toBe(303);
    expect(done.headers.get("location")).toBe("/");
    const cookie = done.headers.getSetCookie().find((c) => c.startsWith("sid="))!;
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Lax");
    expect(cookie).not.toContain("Secure"); // no TLS in this harness
    const home = await b.go("/");
    expect(home.status).toBe(200);
    const html = await home.text();
    expect(html).toContain("alice");
    expect(html).toContain("paper");
    expect(html).toContain('name="csrf-token"');
    // Spent: the same link no longer works, and a second user cannot be made through it.
    expect((await new Browser(h).go(`/setup?token=${token}`)).status).toBe(410);
  });

  test("login: wrong password refused, right one signs in and returns to `next`, never off-site", async () => {
    const b = new Browser(h);
    const redirect = await b.go("/api/../docs");
    expect([303, 200]).toContain(redirect.status);
    let page = await (await b.go("/login?next=/docs")).text();
    const csrf = hidden(page, "_csrf");
    expect(hidden(page, "next")).toBe("/docs");
    const login = (password: string) => b.post("/login", { _csrf: csrf, username: "alice", password, next: "/docs" });
    const wrong = await login("not the password");
    expect(wrong.status).toBe(200);
    expect(wrong.headers.getSetCookie().some((c) => c.startsWith("sid="))).toBe(false);
    expect(await wrong.text()).toContain("Wrong username or password.");
    const ok = await login("long enough password");
    expect(ok.status).toBe(303);
    expect(ok.headers.get("location")).toBe("/docs");
    const docs = await b.go("/docs");
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain("/api/place_order");
    page = await (await new Browser(h).go("/login?next=//evil.example/x")).text();
    expect(hidden(page, "next")).toBe("/");
  });

  test("login without the form's CSRF cookie is refused", async () => {
    const b = new Browser(h);
    const res = await b.post("/login", { _csrf: "guess", username: "alice", password: "long enough password" });
    expect(res.status).toBe(403);
    expect(b.cookies.has("sid")).toBe(false);
  });

  test("logout needs the CSRF token and ends the session", async () => {
    const b = new Browser(h);
    const page = await (await b.go("/login")).text();
    await b.post("/login", { _csrf: hidden(page, "_csrf"), username: "alice", password: "long enough password" });
    const home = await (await b.go("/")).text();
    const token = hidden(home, "_csrf");
    expect((await b.post("/logout", { _csrf: "wrong" })).status).toBe(403);
    const sid = b.cookies.get("sid")!;
    const out = await b.post("/logout", { _csrf: token });
    expect(out.status).toBe(303);
    expect(b.cookies.has("sid")).toBe(false);
    // The old cookie is dead server-side too.
    expect((await h.fetch("/", { headers: { cookie: `sid=${sid}` } })).status).toBe(303);
  });

  test("failed logins are rate-limited per user and per address", async () => {
    const b = new Browser(h);
    const csrf = hidden(await (await b.go("/login")).text(), "_csrf");
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++)
      statuses.push((await b.post("/login", { _csrf: csrf, username: "bob", password: `guess-${i}-xxxxx` })).status);
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(statuses.slice(5)).toEqual([429, 429]);
    const limited = await b.post("/login", { _csrf: csrf, username: "bob", password: "whatever-at-all" });
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(h.logs.lines.some((l) => l.event === "auth.login.throttled")).toBe(true);
    expect(JSON.stringify(h.logs.lines)).not.toContain("guess-1-xxxxx");
  });

  test("an expired session is refused", async () => {
    const user = (await h.ctx.users.findByUsername("alice"))!;
    const s = await h.ctx.sessions.create(user.id, "test", "127.0.0.1");
    await h.db.db
      .updateTable("sessions")
      .set({ expires_at: new Date(Date.now() - 1000) })
      .execute();
    expect((await h.fetch("/", { headers: { cookie: `sid=${s.token}` } })).status).toBe(303);
  });

  test("HTML is escaped: a hostile value in the log renders as text", async () => {
    const user = (await h.ctx.users.findByUsername("alice"))!;
    await h.db.db
      .insertInto("events")
      .values({
        actor_kind: "user",
        actor: "<script>alert(1)</script>",
        user_id: user.id,
        kind: "x",
        reason: "<img src=x onerror=alert(1)>",
        data: "{}",
      })
      .execute();
    const s = await h.ctx.sessions.create(user.id, "test", "127.0.0.1");
    const html = await (await h.fetch("/", { headers: { cookie: `sid=${s.token}` } })).text();
    expect(html).not.toContain("<script>alert(1)</script>");
    expect(html).not.toContain("<img src=x");
    expect(html).toContain("&lt;img src=x onerror=alert(1)&gt;");
  });

  test("healthz is public and tells no secrets", async () => {
    const res = await h.fetch("/healthz");
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ status: "ok", database: { kind: testDatabaseKind, reachable: true } });
    expect(JSON.stringify(body)).not.toMatch(/postgres:\/\/|password|secret/i);
  });
});
