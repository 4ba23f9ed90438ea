// What one desk click costs the database: SQL statements (and transactions) per desk request,
// in process on a fresh test database (PGlite, or Postgres with DATABASE_URL), the engine running.
// Each action is measured once the engine has written everything before it, and until it has
// written everything the action caused (the fill of a market order included).
//   bun bench/desk-sql.ts
import { addUser, createHarness, sessionClient } from "../src/web/test-harness";

const h = await createHarness({}, { engine: true });
const user = await addUser(h, "benchtrader");
const browser = await sessionClient(h, user.id);
const P = (s: string) => Math.round(Number(s) * 1e9);
h.ctx.engine.onTrade("MES", P("5000"), Date.now());
h.ctx.paper.onTrade("MES", P("5000"));
await h.ctx.engine.settled();

const send = (method: string, path: string, fields?: Record<string, string>) =>
  h.fetch(path, {
    method,
    headers: { ...browser.headers, "x-csrf-token": browser.csrf!, "content-type": "application/x-www-form-urlencoded" },
    body: fields ? new URLSearchParams(fields).toString() : undefined,
  });

const desk = { account: "paper", symbol: "MES" };
/** The position's version as the state fragment shows it (the forms post it back). */
const version = async () =>
  /data-version="(\d+)"/.exec(await (await send("GET", "/desk/state?account=paper&symbol=MES")).text())![1]!;

async function cost(label: string, fn: () => Promise<Response>) {
  await h.ctx.engine.settled();
  await Bun.sleep(20);
  await h.ctx.engine.settled();
  const s0 = h.db.sql.statements;
  const t0 = h.db.sql.transactions;
  const res = await fn();
  await res.text();
  const s1 = h.db.sql.statements;
  await Bun.sleep(20);
  await h.ctx.engine.settled();
  const row = {
    action: label,
    status: res.status,
    "in request": s1 - s0,
    "with engine writes": h.db.sql.statements - s0,
    transactions: h.db.sql.transactions - t0,
  };
  console.log(Object.values(row).map(String).join("\t"));
}

console.log(`database: ${h.db.kind}`);
console.log(["action", "status", "statements in request", "with engine writes", "transactions"].join("\t"));
await cost("GET /desk", () => send("GET", "/desk?account=paper&symbol=MES"));
await cost("GET /desk/state", () => send("GET", "/desk/state?account=paper&symbol=MES"));
await cost("POST /desk/stop/preview", () => send("POST", "/desk/stop/preview", { ...desk, amount: "3" }));
await cost("POST /desk/order (buy 2)", () => send("POST", "/desk/order", { ...desk, side: "buy", qty: "2" }));
let v = await version();
await cost("POST /desk/stop", () => send("POST", "/desk/stop", { ...desk, version: v, kind: "fixed", amount: "4" }));
v = await version();
await cost("POST /desk/ladder (add)", () =>
  send("POST", "/desk/ladder", { ...desk, version: v, count: "0", add: "1" }),
);
v = await version();
await cost("POST /desk/timer", () =>
  send("POST", "/desk/timer", { ...desk, version: v, minutes: "5", action: "exit", mode: "regardless" }),
);
await cost("POST /desk/exit (all)", () => send("POST", "/desk/exit", { ...desk, all: "1" }));
await cost("POST /desk/stop (flat: defaults)", () =>
  send("POST", "/desk/stop", { ...desk, dversion: "0", kind: "fixed", amount: "3" }),
);
await h.close();
