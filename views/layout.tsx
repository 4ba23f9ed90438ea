import { Html, type PropsWithChildren } from "@elysiajs/html";

/** What the status bar shows about the market feed when the page is rendered (then live over /ws). */
export interface FeedBadge {
  kind: "simulated" | "databento" | "off";
  state: string;
  lastTickAgeMs: number | null;
}

export interface LayoutProps {
  title: string;
  /** Signed-in user; absent on the login and setup pages. */
  user?: {
    username: string;
    csrfToken: string;
    feed?: FeedBadge;
    /** `account:symbol` of the user's positions without prices. */
    unprotected?: string[];
  };
  active?: "overview" | "desk" | "positions" | "journal" | "replay" | "settings" | "docs";
  /** Page-specific scripts and styles (served by the app, no CDN). */
  scripts?: string[];
  /** Page scripts that are ES modules (they import /static/js/format.js); run in order with the others. */
  modules?: string[];
  styles?: string[];
  /** A banner shown on every page of a mode that must be unmistakable (replay). */
  banner?: string;
}

/** The main menu: which page, its address, its name. */
const NAV: readonly (readonly [NonNullable<LayoutProps["active"]>, string, string])[] = [
  ["desk", "/desk", "Desk"],
  ["overview", "/", "Positions"],
  ["journal", "/journal", "Journal"],
  ["replay", "/replay", "Replay"],
  ["settings", "/settings", "Settings"],
  ["docs", "/docs", "API"],
];

export function Layout({
  title,
  user,
  active,
  scripts,
  modules,
  styles,
  banner,
  children,
}: PropsWithChildren<LayoutProps>) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="dark" />
        {/* A server error never replaces part of a page; app.js shows it as a notice instead. */}
        <meta name="htmx-config" content='{"noSwap":[204,304,"5xx"]}' />
        {user ? <meta name="csrf-token" content={user.csrfToken} /> : ""}
        <title safe>{title} · Trade Manager</title>
        <link rel="stylesheet" href="/static/css/app.css" />
        {(styles ?? []).map((href) => (
          <link rel="stylesheet" href={href} />
        ))}
        <link rel="icon" href="/static/favicon.svg" type="image/svg+xml" />
        {/* app.js first: its CSRF hook must be in place before htmx sends anything (even on load). */}
        <script src="/static/js/app.js" defer></script>
        <script src="/vendor/htmx.min.js" defer></script>
        {user ? <script type="module" src="/static/js/status-bar.js"></script> : ""}
        {user ? <script src="/static/js/alerts.js" defer></script> : ""}
        {(scripts ?? []).map((src) => (
          <script src={src} defer></script>
        ))}
        {(modules ?? []).map((src) => (
          <script type="module" src={src}></script>
        ))}
      </head>
      <body>
        <header class="topbar">
          <a class="brand" href="/">
            <span class="brand-mark" aria-hidden="true">
              ◆
            </span>{" "}
            Trade Manager
          </a>
          {user ? (
            <nav class="nav" aria-label="Main">
              {NAV.map(([page, href, label]) => (
                <a href={href} aria-current={active === page ? "page" : undefined} safe>
                  {label}
                </a>
              ))}
            </nav>
          ) : (
            ""
          )}
          {user ? <StatusBar feed={user.feed} unprotected={user.unprotected ?? []} /> : ""}
          {user ? (
            <form class="user" method="post" action="/logout">
              <span class="muted" safe>
                {user.username}
              </span>
              <input type="hidden" name="_csrf" value={user.csrfToken} />
              <button type="submit" class="btn btn-ghost">
                Sign out
              </button>
            </form>
          ) : (
            ""
          )}
        </header>
        {banner ? (
          <div class="mode-banner" role="status" safe>
            {banner}
          </div>
        ) : (
          ""
        )}
        <main class="main">{children}</main>
      </body>
    </html>
  );
}

const FEED_NAMES: Record<FeedBadge["kind"], string> = {
  simulated: "Simulated feed",
  databento: "Databento live",
  off: "Feed off",
};

/** Feed (kind, state, last tick age), positions without prices and the exchange clock; status-bar.js keeps them current. */
function StatusBar({ feed, unprotected }: { feed?: FeedBadge; unprotected: string[] }) {
  const symbols = [...new Set(unprotected.map((k) => k.slice(k.lastIndexOf(":") + 1)))].sort();
  const unprotectedText: string = symbols.length ? `unprotected: ${symbols.join(", ")}` : "";
  const f = feed ?? { kind: "off", state: "stopped", lastTickAgeMs: null };
  const tone = f.state === "live" ? (f.kind === "simulated" ? "sim" : "ok") : f.kind === "off" ? "off" : "bad";
  const age = f.lastTickAgeMs === null ? "no ticks yet" : `last tick ${(f.lastTickAgeMs / 1000).toFixed(1)} s ago`;
  return (
    <div class="statusbar" role="status" aria-live="polite">
      <span class={`feed feed-${tone}`} data-feed data-kind={f.kind} title={age}>
        <span class="dot" aria-hidden="true"></span>
        <span data-feed-name safe>
          {FEED_NAMES[f.kind]}
        </span>
        <span class="muted" data-feed-state safe>
          {f.state === "live" ? "" : f.state}
        </span>
        <span class="muted num" data-feed-age>
          {f.state === "live" && f.lastTickAgeMs !== null && f.lastTickAgeMs > 5000 ? age : ""}
        </span>
      </span>
      <span
        class="unprotected"
        data-unprotected={JSON.stringify(unprotected)}
        title="Stops and take-profits of these symbols cannot fire: no prices"
        hidden={symbols.length === 0}
        safe
      >
        {unprotectedText}
      </span>
      <span class="notice" data-notice role="status" hidden></span>
      <span class="instance muted small" data-instance hidden></span>
      <span class="clock num muted" data-exchange-clock title="Exchange time (CME, America/Chicago)">
        CT --:--:--
      </span>
    </div>
  );
}
