// A TCP proxy in front of Postgres that counts what its clients ask for: statements, and the
// transactions they run in. Every byte is forwarded untouched both ways; a copy of the
// client → server stream is parsed on the side (frontend protocol v3).
import type { Socket, TCPSocketListener } from "bun";

export interface SqlCounts {
  /** Statements other than BEGIN / COMMIT / ROLLBACK. */
  statements: number;
  commits: number;
  rollbacks: number;
  /** Statements outside an explicit transaction: each is a transaction of its own. */
  implicit: number;
}

export const zeroCounts = (): SqlCounts => ({ statements: 0, commits: 0, rollbacks: 0, implicit: 0 });
export const transactions = (c: SqlCounts) => c.commits + c.rollbacks + c.implicit;
export const minus = (a: SqlCounts, b: SqlCounts): SqlCounts => ({
  statements: a.statements - b.statements,
  commits: a.commits - b.commits,
  rollbacks: a.rollbacks - b.rollbacks,
  implicit: a.implicit - b.implicit,
});

// Startup-phase requests after which the client sends another untyped message.
const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const WANTED = new Set(["Q", "P", "B", "E"].map((c) => c.charCodeAt(0)));
const utf8 = new TextDecoder();

/** One connection's client → server messages, read from a copy of the stream. */
class FrontendCounter {
  private pending = new Uint8Array(0);
  /** What is left to pass over of a message not read (CopyData, Sync, a password, …). */
  private skip = 0;
  private startup = true;
  private inTransaction = false;
  private readonly prepared = new Map<string, string>();
  private readonly portals = new Map<string, string>();

  constructor(private readonly counts: SqlCounts) {}

  feed(chunk: Uint8Array): void {
    if (this.skip >= chunk.length) {
      this.skip -= chunk.length;
      return;
    }
    chunk = chunk.subarray(this.skip);
    this.skip = 0;
    const buf = this.pending.length ? concat(this.pending, chunk) : chunk;
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    let off = 0;
    while (this.skip === 0) {
      const left = buf.length - off;
      if (this.startup) {
        // StartupMessage, SSLRequest, …: length, then a code, no type byte.
        if (left < 8 || left < view.getInt32(off)) break;
        const code = view.getInt32(off + 4);
        if (code !== SSL_REQUEST && code !== GSSENC_REQUEST) this.startup = false;
        off += view.getInt32(off);
        continue;
      }
      if (left < 5) break;
      const type = buf[off]!;
      const size = 1 + view.getInt32(off + 1);
      if (!WANTED.has(type)) {
        const here = Math.min(size, left);
        off += here;
        this.skip = size - here;
        continue;
      }
      if (left < size) break;
      this.message(type, buf.subarray(off + 5, off + size));
      off += size;
    }
    // Keep only an incomplete message's start; copy it, as Bun may reuse the chunk's memory.
    this.pending = buf.slice(off);
  }

  private message(type: number, body: Uint8Array): void {
    const [first, afterFirst] = cstring(body, 0);
    switch (String.fromCharCode(type)) {
      case "Q": {
        // Statements of one simple query outside BEGIN … COMMIT share one implicit transaction.
        const outside = splitStatements(first)
          .map((sql) => this.run(sql))
          .filter(Boolean).length;
        if (outside > 1) this.counts.implicit -= outside - 1;
        break;
      }
      case "P":
        this.prepared.set(first, cstring(body, afterFirst)[0]);
        break;
      case "B":
        this.portals.set(first, this.prepared.get(cstring(body, afterFirst)[0]) ?? "");
        break;
      case "E":
        this.run(this.portals.get(first) ?? "");
        break;
    }
  }

  /** True when `sql` ran as a transaction of its own. */
  private run(sql: string): boolean {
    const [verb = "", next = ""] = sql.trimStart().toLowerCase().split(/\s+/, 2);
    if (verb === "begin" || (verb === "start" && next.startsWith("transaction"))) {
      this.inTransaction = true;
    } else if (verb === "commit" || verb === "end") {
      if (this.inTransaction) this.counts.commits++;
      this.inTransaction = false;
    } else if ((verb === "rollback" || verb === "abort") && !next.startsWith("to")) {
      // A ROLLBACK outside a transaction is a no-op, not a transaction.
      if (this.inTransaction) this.counts.rollbacks++;
      this.inTransaction = false;
    } else {
      this.counts.statements++;
      if (!this.inTransaction) {
        this.counts.implicit++;
        return true;
      }
    }
    return false;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** The NUL-terminated string at `from`, and where the next field starts. */
function cstring(body: Uint8Array, from: number): [string, number] {
  let end = body.indexOf(0, from);
  if (end < 0) end = body.length;
  return [utf8.decode(body.subarray(from, end)), end + 1];
}

/** A simple query's statements: split on ';' outside quotes; empty ones dropped. */
export function splitStatements(text: string): string[] {
  const out: string[] = [];
  let quote = "";
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote) {
      if (ch === quote) quote = "";
    } else if (ch === "'" || ch === '"') {
      quote = ch;
    } else if (ch === ";") {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out.filter((s) => s.trim() !== "");
}

/** Bytes waiting for a socket that could not take them yet. */
interface Outbox {
  socket?: Socket<unknown>;
  queue: Uint8Array[];
}

function send(box: Outbox, chunk: Uint8Array): void {
  if (!box.socket || box.queue.length) {
    box.queue.push(chunk.slice());
    return;
  }
  const n = box.socket.write(chunk);
  if (n < chunk.length) box.queue.push(chunk.slice(n));
}

function flush(box: Outbox): void {
  while (box.socket && box.queue.length) {
    const chunk = box.queue[0]!;
    const n = box.socket.write(chunk);
    if (n < chunk.length) {
      box.queue[0] = chunk.subarray(n);
      return;
    }
    box.queue.shift();
  }
}

interface Link {
  toServer: Outbox;
  toClient: Outbox;
  counter: FrontendCounter;
  closed: boolean;
}

export interface CountingProxy {
  port: number;
  /** Running totals over every connection since the start. */
  counts: SqlCounts;
  stop(): void;
}

/** Listens on 127.0.0.1 (a free port) and forwards each connection to `upstream`. */
export function startCountingProxy(upstream: { hostname: string; port: number }): CountingProxy {
  const counts = zeroCounts();
  const listener: TCPSocketListener<Link> = Bun.listen<Link>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(client) {
        const link: Link = {
          toServer: { queue: [] },
          toClient: { socket: client, queue: [] },
          counter: new FrontendCounter(counts),
          closed: false,
        };
        client.data = link;
        void Bun.connect({
          ...upstream,
          socket: {
            data: (_server, chunk) => send(link.toClient, chunk),
            drain: () => flush(link.toServer),
            close: () => {
              flush(link.toClient);
              client.end();
            },
            error: () => void client.end(),
          },
        }).then(
          (server) => {
            if (link.closed) return void server.end();
            link.toServer.socket = server;
            flush(link.toServer);
          },
          () => void client.end(),
        );
      },
      data(client, chunk) {
        client.data.counter.feed(chunk);
        send(client.data.toServer, chunk);
      },
      drain: (client) => flush(client.data.toClient),
      close(client) {
        client.data.closed = true;
        client.data.toServer.socket?.end();
      },
      error: (client) => void client.end(),
    },
  });
  return { port: listener.port, counts, stop: () => listener.stop(true) };
}
