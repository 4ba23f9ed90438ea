import { Html } from "@elysiajs/html";
import { Layout } from "./layout";

export interface DocsRoute {
  method: string;
  path: string;
  summary: string;
  description: string;
  tag: string;
  requestSchema?: string;
  responses: { status: string; description: string }[];
  example: string;
}

/** Markdown-style `code` spans in descriptions, each part escaped. */
function withCode(text: string) {
  return text.split("`").map((part, i) => (i % 2 ? <code safe>{part}</code> : <span safe>{part}</span>));
}

export function DocsPage({
  user,
  routes,
  origin,
}: {
  user: { username: string; csrfToken: string };
  routes: DocsRoute[];
  origin: string;
}) {
  const tags = [...new Set(routes.map((r) => r.tag))];
  return (
    <Layout title="API" user={user} active="docs">
      <section class="card">
        <h1>HTTP API</h1>
        <p>
          Every route needs a signed-in browser session or an API token: create one with{" "}
          <code>{Html.escapeHtml("bun run cli token create <name>")}</code> and send it as{" "}
          <code>{Html.escapeHtml("Authorization: Bearer <token>")}</code>. Bad input is answered with a 4xx and{" "}
          <code>
            {"{"}"success": false, "message": "…"{"}"}
          </code>{" "}
          naming the field; nothing is changed. The machine-readable description is at{" "}
          <a href="/api/openapi.json">/api/openapi.json</a> (OpenAPI 3).
        </p>
        {tags.map((tag) => (
          <>
            <h2 safe>{tag}</h2>
            {routes
              .filter((r) => r.tag === tag)
              .map((r) => (
                <div class="docs-route">
                  <div>
                    <span class={`method method-${r.method.toLowerCase()}`} safe>
                      {r.method}
                    </span>{" "}
                    <code safe>{r.path}</code> <span class="muted">{withCode(r.summary)}</span>
                  </div>
                  {r.description ? <p>{withCode(r.description)}</p> : ""}
                  {r.requestSchema ? (
                    <details>
                      <summary>Request body schema</summary>
                      <pre safe>{r.requestSchema}</pre>
                    </details>
                  ) : (
                    ""
                  )}
                  {r.responses.length ? (
                    <ul>
                      {r.responses.map((x) => (
                        <li>
                          <code safe>{x.status}</code> {withCode(x.description)}
                        </li>
                      ))}
                    </ul>
                  ) : (
                    ""
                  )}
                  <pre safe>{r.example.replace("{ORIGIN}", origin)}</pre>
                </div>
              ))}
          </>
        ))}
      </section>
    </Layout>
  );
}
