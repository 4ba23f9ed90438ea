/** A full page from a JSX view (views are strings, or promises of them when async). */
export async function htmlResponse(
  body: string | Promise<string>,
  status = 200,
  headers: Record<string, string> = {},
): Promise<Response> {
  return new Response("<!doctype html>" + (await body), {
    status,
    headers: { "content-type": "text/html; charset=utf-8", ...headers },
  });
}
