/**
 * Bun's TCP `write` sends what the kernel takes now and returns that count; the rest is ours
 * to keep and resend on `drain`. This queue does that, in order, and says when it is backed up.
 */
export class SocketWriter {
  private queue: Uint8Array[] = [];
  private queued = 0;

  constructor(private readonly write: (data: Uint8Array) => number) {}

  /** Bytes waiting for the peer to read. */
  get pending(): number {
    return this.queued;
  }

  /** True when everything went out now; false when some of it waits for drain. */
  send(data: Uint8Array | string): boolean {
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    if (this.queued > 0) {
      this.queue.push(bytes);
      this.queued += bytes.length;
      return false;
    }
    const n = Math.max(0, this.write(bytes));
    if (n >= bytes.length) return true;
    const rest = bytes.subarray(n);
    this.queue.push(rest);
    this.queued += rest.length;
    return false;
  }

  /** Call from the socket's drain handler. */
  drain(): void {
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      const n = Math.max(0, this.write(head));
      this.queued -= n;
      if (n < head.length) {
        this.queue[0] = head.subarray(n);
        return;
      }
      this.queue.shift();
    }
  }
}
