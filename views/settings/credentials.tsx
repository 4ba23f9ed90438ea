import { Html } from "@elysiajs/html";
import { Table } from "../table";
import { NoticeLine, type Notice } from "./notice";
import { hxPost } from "../htmx";

/* Databento keys (write-only) and API tokens. */
export function KeysSection({
  keys,
  feed,
  admin,
  notice,
}: {
  keys: { live: string | null; archive: string | null };
  feed: string;
  admin: boolean;
  notice?: Notice;
}) {
  return (
    <section class="card" id="keys" aria-label="Databento keys">
      <h2>Databento</h2>
      <p class="muted small">
        Feed now: <strong safe>{feed}</strong>. Keys are write-only: stored encrypted, shown masked, used from the next
        start (a <code>DATABENTO_API_KEY</code> in the environment takes precedence).
      </p>
      {admin ? (
        ""
      ) : (
        <p class="muted small">The keys serve every user of this server; only an administrator can change them.</p>
      )}
      {admin ? (
        <form class="grid-form" {...hxPost("/settings/keys", "#keys")}>
          <label>
            Live key <input name="live" autocomplete="off" placeholder={keys.live ? `set (${keys.live})` : "db-…"} />
          </label>
          <label>
            Archive key (optional){" "}
            <input
              name="archive"
              autocomplete="off"
              placeholder={keys.archive ? `set (${keys.archive})` : "db-… (else the live key)"}
            />
          </label>
          <div class="row-buttons">
            <button class="btn btn-primary" type="submit">
              Save keys
            </button>
            {keys.live || keys.archive ? (
              <button class="btn btn-ghost" type="submit" name="clear" value="1">
                Remove stored keys
              </button>
            ) : (
              ""
            )}
          </div>
        </form>
      ) : (
        ""
      )}
      <NoticeLine n={notice} />
    </section>
  );
}

export function TokensSection({
  tokens,
  created,
  notice,
}: {
  tokens: { name: string; createdAt: string; lastUsedAt: string | null }[];
  created?: { name: string; token: string };
  notice?: Notice;
}) {
  return (
    <section class="card" id="tokens" aria-label="API tokens">
      <h2>API tokens</h2>
      {created ? (
        <div class="alert alert-ok" role="status">
          Token <strong safe>{created.name}</strong> created. Copy it now — it is not shown again:
          <pre class="token" safe>
            {created.token}
          </pre>
        </div>
      ) : (
        ""
      )}
      {tokens.length === 0 ? (
        <p class="muted">
          No tokens. Scripts and the original client authenticate with{" "}
          <code>{"Authorization: Bearer &lt;token&gt;"}</code>.
        </p>
      ) : (
        <Table
          class="table"
          head={
            <>
              <th>Name</th>
              <th>Created</th>
              <th>Last used</th>
              <th>
                <span class="sr-only">Revoke</span>
              </th>
            </>
          }
        >
          {tokens.map((t) => (
            <tr>
              <td safe>{t.name}</td>
              <td safe>{t.createdAt}</td>
              <td safe>{t.lastUsedAt ?? "never"}</td>
              <td>
                <button
                  type="button"
                  class="btn btn-ghost btn-small"
                  {...hxPost(`/settings/tokens/${encodeURIComponent(t.name)}/revoke`, "#tokens")}
                  hx-confirm={`Revoke ${t.name}? Clients using it stop working at once.`}
                >
                  Revoke
                </button>
              </td>
            </tr>
          ))}
        </Table>
      )}
      <form class="inline-form" {...hxPost("/settings/tokens", "#tokens")}>
        <label>
          New token name <input name="name" maxlength="40" required placeholder="e.g. tradingview" />
        </label>
        <button class="btn" type="submit">
          Create token
        </button>
      </form>
      <NoticeLine n={notice} />
    </section>
  );
}
