import { expect, test } from "bun:test";
import { loadConfig } from "./config";

test("defaults", () => {
  const c = loadConfig({});
  expect(c).toMatchObject({
    PORT: 3000,
    HOST: "127.0.0.1",
    DATA_DIR: "./data",
    LOG_LEVEL: "info",
    LEGACY_API_ACCOUNT: "paper",
  });
  expect(c.DATABASE_URL).toBeUndefined();
});

test("a bad value stops start-up with one line naming the variable", () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ PORT: "eighty" }, /^invalid configuration: PORT: .*\(got "eighty"\)$/],
    [{ PORT: "70000" }, /^invalid configuration: PORT:/],
    [{ LOG_LEVEL: "loud" }, /^invalid configuration: LOG_LEVEL:/],
    [{ DATABASE_URL: "mysql://x/y" }, /^invalid configuration: DATABASE_URL:/],
    [
      { TLS_CERT_FILE: "/a.pem" },
      /^invalid configuration: TLS_CERT_FILE: TLS_CERT_FILE and TLS_KEY_FILE must be set together/,
    ],
    [{ SESSION_TTL_HOURS: "0" }, /^invalid configuration: SESSION_TTL_HOURS:/],
  ];
  for (const [env, message] of cases) {
    let error = "";
    try {
      loadConfig(env);
    } catch (e) {
      error = (e as Error).message;
    }
    expect(error).toMatch(message);
    expect(error).not.toContain("\n");
  }
});

test("a secret-looking value is never echoed", () => {
  let message = "";
  try {
    loadConfig({ DATABASE_URL: "mysql://u:hunter2@db/x", SECRET_KEY: "" });
  } catch (e) {
    message = (e as Error).message;
  }
  expect(message).toStartWith("invalid configuration: DATABASE_URL");
  expect(message).not.toContain("hunter2");
});

test("empty optional values count as unset", () => {
  expect(loadConfig({ DATABASE_URL: "", TLS_CERT_FILE: "", TLS_KEY_FILE: "" }).DATABASE_URL).toBeUndefined();
});
