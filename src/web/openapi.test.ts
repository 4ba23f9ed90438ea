import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { testDatabaseKind } from "../persistence/test-database";
import { addUser, createHarness, tokenClient, type Client, type Harness } from "./test-harness";

/** The API document shows what the routes check: real request bodies and answers, not prose. */
let h: Harness;
let api: Client;
let paths: Record<string, Record<string, Operation>>;

interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  description?: string;
}
interface Operation {
  parameters?: { name: string; in: string; schema: Schema }[];
  requestBody?: { description?: string; content: Record<string, { schema: Schema }> };
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
}

beforeAll(async () => {
  h = await createHarness();
  api = await tokenClient(h, (await addUser(h)).id);
  paths = (await (await h.fetch("/api/openapi.json", { headers: api.headers })).json()).paths;
});
afterAll(() => h.close());

const pos = "/api/v1/accounts/{account}/positions/{symbol}";
const body = (path: string, method: string) => paths[path]![method]!.requestBody!.content["application/json"]!.schema;
const answer = (path: string, method: string, status: number) =>
  paths[path]![method]!.responses[status]!.content!["application/json"]!.schema;

describe(`OpenAPI document (${testDatabaseKind})`, () => {
  test("the trading routes' request bodies are their schemas", () => {
    const order = body(`${pos}/orders`, "post");
    expect(order.properties).toContainKeys(["side", "qty", "type", "limitPrice", "bracket", "version"]);
    expect(order.required).toEqual(expect.arrayContaining(["side", "qty"]));
    expect(order.properties!.bracket!.properties).toContainKeys(["ladder", "stop", "timer"]);
    expect(body(`${pos}/record`, "post").required).toEqual(expect.arrayContaining(["side", "qty", "entryPrice"]));
    expect(body(`${pos}/ladder`, "put").properties).toContainKeys(["levels", "version"]);
    expect(JSON.stringify(body(`${pos}/stop`, "put").properties!.stop)).toContain('"trailBy"');
    expect(body(`${pos}/timer`, "put").properties).toContainKey("timer");
    expect(body("/api/v1/accounts/{account}/execution", "put").properties).toContainKeys([
      "route",
      "webhookUrl",
      "commission",
    ]);
    // A body `{}` satisfies says so: the document marks every body required.
    expect(paths[`${pos}/exit`]!.post!.requestBody!.description).toContain("may be left out");
    const patch = paths[`${pos}/ladder/{index}`]!.patch!;
    expect(patch.parameters!.map((p) => `${p.in} ${p.name}`)).toEqual(
      expect.arrayContaining(["path index", "header idempotency-key"]),
    );
  });

  test("the queries the routes check are listed as parameters", () => {
    const names = (path: string) => paths[path]!.get!.parameters!.filter((p) => p.in === "query").map((p) => p.name);
    expect(names("/api/v1/accounts/{account}/events")).toEqual(expect.arrayContaining(["symbol", "limit"]));
    expect(names("/api/v1/sizing")).toEqual(expect.arrayContaining(["symbol", "risk", "stopPoints", "stopTicks"]));
    expect(names("/api/v1/journal")).toEqual(expect.arrayContaining(["account", "from", "to", "format"]));
  });

  test("the answers: position, positions, accounts, and the refusal with its code", () => {
    expect(answer(`${pos}/orders`, "post", 200).properties).toContainKey("position");
    expect(answer(`${pos}/orders`, "post", 409).properties).toContainKeys(["success", "message", "code", "current"]);
    expect(answer("/api/v1/positions", "get", 200).properties).toContainKey("positions");
    expect(answer("/api/v1/accounts", "get", 200).properties).toContainKey("accounts");
    expect(answer(`${pos}/exit`, "post", 400).required).toEqual(["success", "message", "code"]);
  });

  test("the replay routes' bodies and answers", () => {
    const create = body("/api/v1/replays", "post").anyOf!;
    expect(create.map((s) => s.properties!.source)).toHaveLength(2);
    expect(body("/api/v1/replays/{id}/control", "post").oneOf!.length).toBeGreaterThanOrEqual(6);
    expect(body("/api/v1/replay-files/download", "post").required).toEqual(
      expect.arrayContaining(["schema", "symbols", "startMs", "endMs", "confirmCost"]),
    );
    expect(answer("/api/v1/replays", "post", 200).properties).toContainKeys(["id", "account", "symbols"]);
    expect(answer("/api/v1/replays", "get", 200).properties).toContainKey("replays");
  });

  test("the docs page shows the request schema of a route", async () => {
    const page = await (await h.fetch("/docs", { headers: api.headers })).text();
    expect(page).toContain("limitPrice");
    expect(page).toContain("confirmCost");
  });
});
