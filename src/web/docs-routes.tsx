import { Html } from "@elysiajs/html";
import { toOpenAPISchema } from "@elysiajs/openapi";
import { Elysia, type AnyElysia } from "elysia";
import type { AppContext } from "./app-context";
import { DocsPage, type DocsRoute } from "../../views/docs";
import { authPlugin } from "./auth-plugin";
import { htmlResponse } from "./html-response";
import { pageUser } from "./pages";

const EXAMPLE_BODIES: Record<string, string> = {
  "/api/place_order": `{"ticker":"MES1!","action":"buy","orderType":"market","limitPrice":5012.25,"quantity":2}`,
  "/api/save_tp_levels/{symbol}": `{"tp_levels":[{"enabled":true,"quantity":1,"target":4,"price":5016.25,"hit":false}]}`,
  "/api/save_tp_level/{symbol}/{index}": `{"enabled":false}`,
};

type Spec = ReturnType<typeof toOpenAPISchema>;

/** The parts of an OpenAPI operation the page shows. */
interface Operation {
  summary?: string;
  description?: string;
  tags?: string[];
  requestBody?: { content?: Record<string, { schema?: unknown } | undefined> };
  responses?: Record<string, { description?: string }>;
}

export function docsRoutes(ctx: AppContext, app: () => AnyElysia) {
  let cached: DocsRoute[] | undefined;
  function routes(): DocsRoute[] {
    if (cached) return cached;
    const spec: Spec = toOpenAPISchema(app());
    const out: DocsRoute[] = [];
    for (const [path, item] of Object.entries(spec.paths ?? {})) {
      for (const [method, op] of Object.entries(item as Record<string, Operation | undefined>)) {
        if (!op || typeof op !== "object" || !("responses" in op || "summary" in op)) continue;
        const schema = op.requestBody?.content?.["application/json"]?.schema;
        const concrete = path.replace("{symbol}", "MES").replace("{ticker}", "MES").replace("{index}", "0");
        const body = EXAMPLE_BODIES[path];
        out.push({
          method: method.toUpperCase(),
          path,
          summary: op.summary ?? "",
          description: op.description ?? "",
          tag: op.tags?.[0] ?? "Other",
          requestSchema: schema ? JSON.stringify(schema, null, 2) : undefined,
          responses: Object.entries(op.responses ?? {}).map(([status, r]) => ({
            status,
            description: r.description ?? "",
          })),
          example:
            `curl -s -H "Authorization: Bearer $TOKEN"` +
            (method === "get" ? "" : ` -X ${method.toUpperCase()}`) +
            (body ? ` -H 'content-type: application/json' -d '${body}'` : "") +
            ` {ORIGIN}${concrete}`,
        });
      }
    }
    return (cached = out);
  }

  return new Elysia({ name: "docs" })
    .use(authPlugin(ctx))
    .get(
      "/docs",
      ({ auth, request }) =>
        htmlResponse(<DocsPage user={pageUser(auth, ctx)} routes={routes()} origin={new URL(request.url).origin} />),
      {
        detail: { hide: true },
      },
    );
}
