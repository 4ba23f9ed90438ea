import { isIP } from "node:net";
import { z } from "zod";
import { ROOTS } from "../market-data/instruments/catalogue";
import { parseRollRules } from "../market-data/instruments/roll-rule";

const port = z.coerce.number().int().min(0).max(65535);
/** An optional setting: blank (as a .env template leaves it) counts as unset, anything else must pass `inner`. */
function optionalSetting(inner: z.ZodType<string, string> = z.string()) {
  return z
    .string()
    .trim()
    .transform((s) => (s === "" ? undefined : s))
    .pipe(inner.optional())
    .optional();
}
const optionalPath = optionalSetting();
const databentoKey = z.string().regex(/^db-[\x21-\x7e]{29}$/, "must be a 32-character Databento key starting with db-");

/** Every environment variable the server reads, validated once at start-up. */
export const configSchema = z
  .object({
    PORT: port.default(3000),
    HOST: z.string().trim().min(1).default("127.0.0.1"),
    DATABASE_URL: optionalSetting(z.url({ protocol: /^postgres(ql)?$/ })),
    DATA_DIR: z.string().trim().min(1).default("./data"),
    TLS_CERT_FILE: optionalPath,
    TLS_KEY_FILE: optionalPath,
    LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
    /** 32 bytes as 64 hex chars or base64; when absent a key file is created in DATA_DIR. */
    SECRET_KEY: optionalSetting(),
    SESSION_TTL_HOURS: z.coerce
      .number()
      .int()
      .min(1)
      .max(24 * 90)
      .default(24 * 7),
    /** NATS server(s), comma-separated: switches the cluster mode on (every instance serves every user; needs Postgres). */
    NATS_URL: z.preprocess(
      (v) => (typeof v === "string" && v.trim() === "" ? undefined : v),
      z
        .string()
        .trim()
        .regex(/^(nats|tls):\/\/[^\s,]+(,(nats|tls):\/\/[^\s,]+)*$/, "nats://host:port (comma-separated for several)")
        .optional(),
    ),
    /** How long an instance's lease on its accounts lasts unrenewed: the failover time on a shared Postgres. */
    LEASE_TTL_MS: z.coerce.number().int().min(500).max(60_000).default(3_000),
    /** Public URL used in the first-run setup link when the server sits behind a proxy. */
    PUBLIC_URL: optionalSetting(z.url({ protocol: /^https?$/ })),
    /** Market data: `auto` = Databento when a key is set, else the simulated market. */
    FEED: z.enum(["auto", "simulated", "databento", "off"]).default("auto"),
    DATABENTO_API_KEY: optionalSetting(databentoKey),
    /** host:port of the Live gateway, when not Databento's own (a proxy, a test gateway). */
    DATABENTO_GATEWAY: optionalSetting(z.string().regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, "must be host:port")),
    /** A separate key for the archive's Historical requests, as the original had; else DATABENTO_API_KEY. */
    DATABENTO_ARCHIVE_KEY: optionalSetting(databentoKey),
    /** Base URL of the Historical API, when not hist.databento.com (a proxy, a test server). */
    DATABENTO_HISTORICAL_URL: optionalSetting(z.url({ protocol: /^https?$/ })),
    SIM_SEED: z.coerce.number().int().default(1),
    /** Which contract a continuous symbol follows: volume (default), open-interest or calendar; per symbol `volume,GC:open-interest`. */
    ROLL_RULE: z
      .string()
      .default("volume")
      .transform((s, ctx) => {
        try {
          return parseRollRules(s, ROOTS);
        } catch (err) {
          ctx.addIssue({ code: "custom", message: (err as Error).message });
          return z.NEVER;
        }
      }),
    /** Symbols whose one-minute bars are archived (comma-separated product roots). */
    ARCHIVE_SYMBOLS: z
      .string()
      .default("MES,MNQ,MGC,MCL,ES,NQ,GC,CL")
      .transform((s) => [
        ...new Set(
          s
            .split(",")
            .map((x) => x.trim().toUpperCase())
            .filter(Boolean),
        ),
      ])
      .pipe(
        z
          .array(
            z.enum(ROOTS as [string, ...string[]], {
              error: (i) => `unknown symbol ${String(i.input)}; known: ${ROOTS.join(", ")}`,
            }),
          )
          .max(100),
      ),
    /** How far back the archive backfills when empty or after a long outage, in days. */
    ARCHIVE_BACKFILL_DAYS: z.coerce.number().int().min(0).max(3650).default(5),
    /** Addresses of reverse proxies whose X-Forwarded-Host / X-Forwarded-For are believed (comma-separated IPs). */
    TRUST_PROXY: z
      .string()
      .default("")
      .transform((s) =>
        s
          .split(",")
          .map((x) => x.trim())
          .filter(Boolean),
      )
      .pipe(
        z
          .array(z.string().refine((a) => isIP(a) !== 0, { error: (i) => `not an IP address: ${String(i.input)}` }))
          .max(50),
      ),
    /** Account the original (unversioned) REST API acts on when a request names none. */
    LEGACY_API_ACCOUNT: z.string().trim().min(1).max(40).default("paper"),
  })
  .refine((c) => c.FEED !== "databento" || c.DATABENTO_API_KEY, {
    message: "FEED=databento needs DATABENTO_API_KEY",
    path: ["DATABENTO_API_KEY"],
  })
  .refine((c) => Boolean(c.TLS_CERT_FILE) === Boolean(c.TLS_KEY_FILE), {
    message: "TLS_CERT_FILE and TLS_KEY_FILE must be set together",
    path: ["TLS_CERT_FILE"],
  });

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Parses the environment; a bad value throws one line naming the variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const result = configSchema.safeParse(env);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const variable = String(issue.path[0] ?? "environment");
  const shown = variable in env && !/KEY|SECRET|PASSWORD|URL/.test(variable) ? ` (got "${env[variable]}")` : "";
  throw new ConfigError(`invalid configuration: ${variable}: ${issue.message}${shown}`);
}
