import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { testDatabaseKind } from "../persistence/test-database";
import { isApiPath, isPublic } from "./auth-plugin";
import { createHarness, type Harness } from "./test-harness";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

/** Public on purpose; anything else that answers without credentials is a bug. */
const EXPECTED_PUBLIC = [
  "GET /healthz",
  "GET /favicon.ico",
  "GET /static/*",
  "GET /vendor/*",
  "GET /login",
  "POST /login",
  "GET /setup",
  "POST /setup",
];

function concrete(path: string): string {
  return path.replace(/:[a-zA-Z]+/g, "MES").replace("*", "x");
}

describe(`every registered route refuses without credentials (${testDatabaseKind})`, () => {
  test("the public list is exactly the intended one", () => {
    const routes = h.app.routes.map((r) => `${r.method} ${r.path}`);
    const publicRoutes = routes.filter((r) => {
      const [m, p] = r.split(" ") as [string, string];
      return isPublic(m, concrete(p));
    });
    expect(publicRoutes.sort()).toEqual([...EXPECTED_PUBLIC].sort());
  });

  test("each non-public route: 401 for the API, redirect to login for pages, also with a bad token or cookie", async () => {
    const routes = h.app.routes.filter((r) => !isPublic(r.method, concrete(r.path)));
    expect(routes.length).toBeGreaterThan(8);
    expect(routes.some((r) => r.method === "WS" && r.path === "/ws")).toBe(true);
    for (const r of routes) {
      const path = concrete(r.path);
      for (const headers of [
        {},
        { authorization: "Bearer tma_forged" },
        { cookie: "sid=forged" },
        { authorization: "Basic YTpi" },
      ] as Record<string, string>[]) {
        // A WebSocket route is reached by a GET asking to upgrade.
        const ws = r.method === "WS";
        const res = await h.fetch(path, {
          method: ws ? "GET" : r.method,
          headers: {
            ...headers,
            "content-type": "application/json",
            ...(ws
              ? {
                  upgrade: "websocket",
                  connection: "Upgrade",
                  "sec-websocket-version": "13",
                  "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
                }
              : {}),
          },
          body: r.method === "GET" || ws ? undefined : "{}",
        });
        const where = `${r.method} ${r.path} with ${JSON.stringify(headers)}`;
        if (isApiPath(path)) {
          expect({ where, status: res.status }).toEqual({ where, status: 401 });
          expect(await res.json()).toMatchObject({ success: false });
        } else {
          expect({ where, status: res.status }).toEqual({ where, status: 303 });
          expect(res.headers.get("location")).toStartWith("/login");
        }
      }
    }
  });

  test("unknown paths do not reveal themselves to anonymous callers", async () => {
    expect((await h.fetch("/api/nope")).status).toBe(401);
    expect((await h.fetch("/nope")).status).toBe(303);
  });

  test("a malformed body on a protected route is refused for credentials first", async () => {
    const res = await h.fetch("/api/place_order", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{not json",
    });
    expect(res.status).toBe(401);
  });

  test("security headers on every answer", async () => {
    for (const path of ["/healthz", "/login", "/api/get_active_orders", "/static/css/app.css", "/nope"]) {
      const res = await h.fetch(path);
      const csp = res.headers.get("content-security-policy") ?? "";
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain("unsafe-inline");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("x-request-id")).toBeTruthy();
    }
  });
});
