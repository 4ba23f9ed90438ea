import { Html, type PropsWithChildren } from "@elysiajs/html";

export interface LayoutProps {
  title: string;
  /** Signed-in user; absent on the login and setup pages. */
  user?: { username: string; csrfToken: string };
  active?: "overview" | "docs";
}

export function Layout({ title, user, active, children }: PropsWithChildren<LayoutProps>) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="dark" />
        {user ? <meta name="csrf-token" content={user.csrfToken} /> : ""}
        <title safe>{title} · Trade Manager</title>
        <link rel="stylesheet" href="/static/css/app.css" />
        <link rel="icon" href="/static/favicon.svg" type="image/svg+xml" />
        <script src="/vendor/htmx.min.js" defer></script>
        <script src="/static/js/app.js" defer></script>
      </head>
      <body>
        <header class="topbar">
          <a class="brand" href="/">
            <span class="brand-mark" aria-hidden="true">◆</span> Trade Manager
          </a>
          {user ? (
            <nav class="nav" aria-label="Main">
              <a href="/" aria-current={active === "overview" ? "page" : undefined}>Overview</a>
              <a href="/docs" aria-current={active === "docs" ? "page" : undefined}>API</a>
            </nav>
          ) : (
            ""
          )}
          {user ? (
            <form class="user" method="post" action="/logout">
              <span class="muted" safe>{user.username}</span>
              <input type="hidden" name="_csrf" value={user.csrfToken} />
              <button type="submit" class="btn btn-ghost">Sign out</button>
            </form>
          ) : (
            ""
          )}
        </header>
        <main class="main">{children}</main>
      </body>
    </html>
  );
}
