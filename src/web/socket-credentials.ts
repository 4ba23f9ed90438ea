/**
 * Open sockets, grouped by the credential that opened them ("session:<hash>", "token:<id>"). A
 * socket is authenticated once, at its upgrade, so without this a signed-out session or a
 * revoked token would keep receiving the user's private messages for as long as it stays open.
 *
 * Two ways a credential ends: in this process (logout, revocation through the UI) the services
 * say so and its sockets close at once; in another process (`cli token revoke` on a shared
 * Postgres, an expiry) a check once a second asks the database about the credentials of all
 * open sockets together — at most one query for sessions and one for tokens, however many
 * sockets are open, and none when there are none.
 */
export interface CredentialCheck {
  sessions(idHashes: string[]): Promise<Set<string>>;
  tokens(ids: number[]): Promise<Set<number>>;
}

type Close = (reason: string) => void;

export class CredentialSockets {
  private readonly open = new Map<string, Set<Close>>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private checking = false;
  /** Queries made by the periodic check (for the test that it stays at two a second). */
  queries = 0;

  constructor(
    private readonly check: CredentialCheck,
    private readonly onError: (err: unknown) => void = () => {},
    private readonly intervalMs = 1000,
  ) {}

  /** Registers a socket; call the returned function when it closes. */
  add(credential: string, close: Close): () => void {
    let set = this.open.get(credential);
    if (!set) this.open.set(credential, (set = new Set()));
    set.add(close);
    if (!this.timer) {
      this.timer = setInterval(() => void this.sweep(), this.intervalMs);
      this.timer.unref?.();
    }
    return () => {
      set.delete(close);
      if (!set.size && this.open.get(credential) === set) this.open.delete(credential);
      if (!this.open.size) this.stop();
    };
  }

  /** The credential ended in this process: close its sockets now. */
  end(credential: string, reason: string): void {
    const set = this.open.get(credential);
    if (!set) return;
    this.open.delete(credential);
    for (const close of set) close(reason);
    if (!this.open.size) this.stop();
  }

  get size(): number {
    let n = 0;
    for (const s of this.open.values()) n += s.size;
    return n;
  }

  /** Closes the sockets of every credential the database no longer knows as valid. */
  async sweep(): Promise<void> {
    if (this.checking || !this.open.size) return;
    this.checking = true;
    try {
      const sessions: string[] = [];
      const tokens: number[] = [];
      for (const c of this.open.keys()) {
        if (c.startsWith("session:")) sessions.push(c.slice(8));
        else if (c.startsWith("token:")) tokens.push(Number(c.slice(6)));
      }
      const [liveSessions, liveTokens] = await Promise.all([
        sessions.length ? (this.queries++, this.check.sessions(sessions)) : new Set<string>(),
        tokens.length ? (this.queries++, this.check.tokens(tokens)) : new Set<number>(),
      ]);
      for (const h of sessions) if (!liveSessions.has(h)) this.end(`session:${h}`, "signed out");
      for (const id of tokens) if (!liveTokens.has(id)) this.end(`token:${id}`, "token revoked");
    } catch (err) {
      // A database hiccup closes nothing: the next second asks again.
      this.onError(err);
    } finally {
      this.checking = false;
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
