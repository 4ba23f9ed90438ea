import type { Msg, Subscription } from "@nats-io/transport-node";
import type { Logger } from "../log/logger";
import type { NatsLink } from "./nats-link";

type Handler = (
  request: Request,
  server?: { requestIP(r: Request): { address: string } | null },
) => Response | Promise<Response>;

/** Set on a request an instance passes on, so the owner never passes it on again. */
export const FORWARDED_HEADER = "x-forwarded-by-instance";
/** How long a forwarded request may take at the owner (a market order waits up to 3 s for a first print). */
const ANSWER_MS = 8_000;
/** How long to keep trying while a shard has no owner (an instance died; its lease is running out). */
const MOVE_MS = 10_000;
const HEADROOM = 64 * 1024;

const subject = (shard: number) => `http.${shard}`;
const enc = new TextEncoder();
const dec = new TextDecoder();

/** [4-byte length][JSON head][body]: a request or an answer in one NATS message. */
function pack(head: unknown, body: Uint8Array): Uint8Array {
  const h = enc.encode(JSON.stringify(head));
  const out = new Uint8Array(4 + h.length + body.length);
  new DataView(out.buffer).setUint32(0, h.length);
  out.set(h, 4);
  out.set(body, 4 + h.length);
  return out;
}
function unpack<T>(data: Uint8Array): { head: T; body: Uint8Array } {
  const n = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(0);
  return { head: JSON.parse(dec.decode(data.subarray(4, 4 + n))) as T, body: data.subarray(4 + n) };
}

interface RequestHead {
  method: string;
  url: string;
  headers: [string, string][];
  peer?: string;
}
interface AnswerHead {
  status: number;
  headers: [string, string][];
}

/** A refusal to try again shortly: JSON for the API, plain text for pages; `headers` adds to it. */
export function refusal(status: number, message: string, api: boolean, headers: Record<string, string> = {}): Response {
  const h = { "retry-after": "2", ...headers };
  return api
    ? new Response(JSON.stringify({ success: false, message }), {
        status,
        headers: { ...h, "content-type": "application/json" },
      })
    : new Response(message, { status, headers: { ...h, "content-type": "text/plain; charset=utf-8" } });
}

const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Any instance takes any user's request; the one that holds the user's shard answers it. The
 * request travels whole over NATS request/reply to the shard's subject, which only its owner
 * listens on, and the owner runs it through its own HTTP stack (credentials, CSRF, the same
 * services), so the caller gets the owner's answer and version as if it had asked it directly.
 * While the shard has no owner (a failover), the request waits and tries again; an owner that
 * took it but did not answer in time is reported as such — a POST is never sent twice.
 */
export class RequestForwarding {
  private handler: Handler | undefined;
  private readonly subs = new Map<number, Subscription>();

  constructor(
    private readonly link: NatsLink,
    readonly instanceId: string,
    private readonly logger: Logger,
  ) {}

  /** The owner side: this instance's own HTTP handler answers what reaches its shards. */
  attach(handler: Handler): void {
    this.handler = handler;
  }

  /** Starts answering for these shards (their engine state is loaded). */
  serve(shards: number[]): void {
    for (const s of shards) {
      if (this.subs.has(s)) continue;
      this.subs.set(
        s,
        this.link.subscribe(subject(s), (msg) => void this.answer(msg)),
      );
    }
  }

  /** Stops answering for these shards (lost or given back). */
  leave(shards: number[]): void {
    for (const s of shards) {
      this.subs.get(s)?.unsubscribe();
      this.subs.delete(s);
    }
  }

  private async answer(msg: Msg): Promise<void> {
    let res: Response;
    try {
      const { head, body } = unpack<RequestHead>(msg.data);
      const headers = new Headers(head.headers);
      const request = new Request(head.url, {
        method: head.method,
        headers,
        ...(SAFE.has(head.method) || !body.length ? {} : { body: body.slice() }),
      });
      res = this.handler
        ? await this.handler(request, { requestIP: () => (head.peer ? { address: head.peer } : null) })
        : refusal(503, "this instance is starting", true);
    } catch (err) {
      this.logger.error("cluster.forward_failed", { reason: (err as Error).message });
      res = refusal(502, "the instance running your accounts could not read the forwarded request", true);
    }
    const body = new Uint8Array(await res.arrayBuffer());
    const out = pack({ status: res.status, headers: [...res.headers] } satisfies AnswerHead, body);
    msg.respond(
      out.length <= this.link.maxPayload
        ? out
        : pack(
            { status: 502, headers: [["content-type", "text/plain"]] },
            enc.encode(
              "the answer is too large to pass between instances; ask the instance running your accounts directly",
            ),
          ),
    );
  }

  /** The caller side: passes the request to the owner of `shard` and returns its answer. */
  async forward(request: Request, shard: number, peer: string | undefined, api: boolean): Promise<Response> {
    const body = SAFE.has(request.method) ? new Uint8Array() : new Uint8Array(await request.arrayBuffer());
    if (body.length > this.link.maxPayload - HEADROOM) {
      return refusal(
        413,
        `the request body is too large (${body.length} bytes) to pass to the instance running your accounts; send it there directly`,
        api,
      );
    }
    if (this.link.state !== "connected") {
      return refusal(
        503,
        "this server's instances cannot reach each other right now (NATS is reconnecting): try again in a few seconds",
        api,
      );
    }
    const headers: [string, string][] = [...request.headers].filter(([k]) => k !== FORWARDED_HEADER);
    headers.push([FORWARDED_HEADER, this.instanceId]);
    const data = pack({ method: request.method, url: request.url, headers, peer } satisfies RequestHead, body);
    const until = Date.now() + MOVE_MS;
    for (let attempt = 0; ; attempt++) {
      try {
        const reply = await this.link.request(subject(shard), data, ANSWER_MS);
        const { head, body: answer } = unpack<AnswerHead>(reply.data);
        // A 503 from an instance that just lost the shard (it answered before it stopped listening): try the new owner.
        if (head.status === 503 && new Headers(head.headers).get(FORWARDED_HEADER) === "moved" && Date.now() < until) {
          await Bun.sleep(200);
          continue;
        }
        return new Response(answer.length ? answer.slice() : null, { status: head.status, headers: head.headers });
      } catch (err) {
        const noOwner =
          (err as { isNoResponders?: () => boolean }).isNoResponders?.() === true ||
          /no responders/i.test(String((err as Error).message));
        if (noOwner && Date.now() < until) {
          await Bun.sleep(Math.min(100 * (attempt + 1), 500));
          continue;
        }
        if (noOwner)
          return refusal(
            503,
            "no instance is running your accounts right now (a failover is under way): try again in a few seconds",
            api,
          );
        if (SAFE.has(request.method) && Date.now() < until) continue;
        this.logger.warn("cluster.forward_timeout", { shard, method: request.method, reason: (err as Error).message });
        return refusal(
          504,
          "the instance running your accounts did not answer in time: the change may or may not have been made — check your positions, or retry with the same Idempotency-Key",
          api,
        );
      }
    }
  }

  stop(): void {
    this.leave([...this.subs.keys()]);
  }
}
