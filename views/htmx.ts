/**
 * The attributes of the usual htmx request on these pages: post to `url` and put the answer in
 * place of the whole `target` element (the partial the route renders is that element).
 */
export function hxPost(url: string, target: string): Record<string, string> {
  return { "hx-post": url, "hx-target": target, "hx-swap": "outerHTML" };
}
