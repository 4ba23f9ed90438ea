export type LogLevel = "debug" | "info" | "warn" | "error";
const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Field names whose values must never reach a log line. */
const SECRET_FIELD = /pass(word)?|secret|token|api_?key|authorization|cookie|csrf/i;

export interface Logger {
  debug(event: string, fields?: Record<string, unknown>): void;
  info(event: string, fields?: Record<string, unknown>): void;
  warn(event: string, fields?: Record<string, unknown>): void;
  error(event: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

export type LogSink = (line: string) => void;

function redact(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== "object") {
    return typeof value === "bigint" ? value.toString() : value;
  }
  if (value instanceof Error) {
    return { name: value.name, message: value.message, stack: value.stack };
  }
  if (depth > 4) return "[deep]";
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_FIELD.test(k) ? "[redacted]" : redact(v, depth + 1);
  }
  return out;
}

/**
 * Standard output, one write per turn of the event loop rather than per line: under load a
 * request logs several lines, and a write call each cost more than building them. What is
 * pending is written at exit too; a SIGKILL loses at most the lines of the current turn.
 */
export function stdoutSink(): LogSink {
  let pending: string[] = [];
  const flush = () => {
    if (!pending.length) return;
    const text = pending.join("\n") + "\n";
    pending = [];
    process.stdout.write(text);
  };
  process.on("exit", flush);
  return (line) => {
    if (pending.push(line) === 1) setImmediate(flush);
  };
}

let defaultSink: LogSink | undefined;

/** JSON lines, one per event: {"ts","level","event",...fields}. */
export function createLogger(
  level: LogLevel = "info",
  sink: LogSink = (defaultSink ??=
    stdoutSink()),
  base: Record<string, unknown> = {},
): Logger {
  const min = rank[level];
  const emit = (lvl: LogLevel, event: string, fields?: Record<string, unknown>) => {
    if (rank[lvl] < min) return;
    const record = { ts: new Date().toISOString(), level: lvl, event, ...base, ...(redact(fields ?? {}) as object) };
    sink(JSON.stringify(record));
  };
  return {
    debug: (e, f) => emit("debug", e, f),
    info: (e, f) => emit("info", e, f),
    warn: (e, f) => emit("warn", e, f),
    error: (e, f) => emit("error", e, f),
    child: (fields) => createLogger(level, sink, { ...base, ...fields }),
  };
}

/** A logger that keeps lines in memory, for tests that assert on log output. */
export function memoryLogger(level: LogLevel = "debug"): Logger & { lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger(level, (line) => lines.push(JSON.parse(line)));
  return Object.assign(logger, { lines });
}
