import { AppError } from "../shared/app-error";
import { Html } from "@elysiajs/html";
import { Elysia } from "elysia";
import type { AppContext } from "./app-context";
import type { ReplaySession } from "../replay/replay-session";
import { ReplayForms, ReplayPage, ReplayPanel, type ReplayPageProps, type ReplayPanelProps } from "../../views/replay";
import { authPlugin, type Auth } from "./auth-plugin";
import { htmlResponse } from "./html-response";
import { pageUser } from "./pages";
import { formOf } from "./params";
import { replayAnswers as answers, replayBodies as bodies } from "./replay-api-model";

type Form = Record<string, unknown>;
const first = (v: unknown) => (Array.isArray(v) ? v[0] : v);
const list = (v: unknown): string[] =>
  Array.isArray(v) ? v.map(String) : typeof v === "string" ? v.split(/[,\s]+/).filter(Boolean) : [];

/** What the player shows of a session. */
export function replayPanel(s: ReplaySession, error?: string): ReplayPanelProps {
  return {
    id: s.id,
    account: s.accountConfig.name,
    description: s.description,
    state: s.player.state,
    speed: s.player.speed,
    nowMs: s.player.nowMs,
    startMs: s.source.startMs,
    endMs: s.source.endMs,
    progress: s.player.progress,
    summary: s.player.state === "ended" && s.summaryStored ? s.summary() : null,
    ...(error ? { error } : {}),
  };
}

const tags = ["Replay"];

/**
 * Replay: the page (sources, files, sessions), the player's HTML controls, and the JSON API
 * over the same service. Trading in a replay uses the ordinary trading routes with the
 * replay's account (`replay-<id>`).
 */
export function replayRoutes(ctx: AppContext) {
  const r = ctx.replay;

  async function page(
    auth: Auth,
    extra: Pick<ReplayPageProps, "notice" | "quote"> = {},
  ): Promise<Omit<ReplayPageProps, "user">> {
    const newest = await ctx.db
      .selectFrom("ohlcv_1m")
      .select((eb) => eb.fn.max("ts").as("ts"))
      .where("dataset", "=", ctx.archive.dataset)
      .executeTakeFirst();
    const sessions = await r.store.sessions(auth.userId);
    return {
      archive: {
        dataset: ctx.archive.dataset,
        symbols: ctx.archive.symbols,
        newestMs: newest?.ts ? new Date(newest.ts).getTime() : null,
      },
      historical: Boolean(ctx.archive.historical),
      files: await r.store.files(auth.userId),
      sessions: sessions.map((s) => ({
        id: s.id,
        account: s.account,
        description: s.source.description,
        state: r.isOpen(s.id) ? r.session(auth.userId, s.id).player.state : s.state,
        open: r.isOpen(s.id),
        summary: s.summary,
        createdAt: s.createdAt.toISOString(),
      })),
      ...extra,
    };
  }

  /** Runs a page action; a refusal comes back as the forms with the reason. */
  async function forms(auth: Auth, fn: () => Promise<Pick<ReplayPageProps, "notice" | "quote"> | Response>) {
    try {
      const out = await fn();
      if (out instanceof Response) return out;
      return htmlResponse(<ReplayForms {...(await page(auth, out))} />);
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      return htmlResponse(
        <ReplayForms {...(await page(auth, { notice: { ok: false, message: err.message } }))} />,
        err.status,
      );
    }
  }

  const createBody = (f: Form) =>
    first(f.source) === "file"
      ? { source: "file", fileId: first(f.fileId) }
      : { source: "archive", symbols: list(f.symbols), fromMs: first(f.fromMs), toMs: first(f.toMs) };
  const historicalBody = (f: Form) => ({
    schema: first(f.schema),
    symbols: list(f.symbols),
    startMs: first(f.startMs),
    endMs: first(f.endMs),
    confirmCost: first(f.confirmCost),
  });
  const openDesk = (account: string) =>
    new Response(null, { status: 204, headers: { "hx-redirect": `/desk?account=${encodeURIComponent(account)}` } });

  return (
    new Elysia({ name: "replay" })
      .use(authPlugin(ctx))
      .get(
        "/replay",
        async ({ auth }) => htmlResponse(<ReplayPage user={pageUser(auth, ctx)} {...(await page(auth))} />),
        { detail: { hide: true } },
      )
      .post(
        "/replay/new",
        async ({ auth, body }) =>
          forms(auth, async () =>
            openDesk((await r.create(auth.userId, createBody(formOf(body)), auth.actor)).account),
          ),
        { detail: { hide: true } },
      )
      .post(
        "/replay/upload",
        async ({ auth, body }) =>
          forms(auth, async () => {
            const file = formOf(body).file;
            if (!(file instanceof Blob)) throw new AppError(400, "file: choose a DBN file to upload");
            const row = await r.upload(
              auth.userId,
              (file as File).name ?? "upload.dbn",
              new Uint8Array(await file.arrayBuffer()),
              auth.actor,
            );
            return {
              notice: {
                ok: true,
                message: `${row.name}: ${row.schema}, ${row.symbols.join(", ")}, ${row.records.toLocaleString("en-US")} records — ready to replay below.`,
              },
            };
          }),
        { detail: { hide: true } },
      )
      .post(
        "/replay/quote",
        async ({ auth, body }) =>
          forms(auth, async () => {
            const q = await r.quote(historicalBody(formOf(body)));
            return {
              quote: {
                schema: q.request.schema,
                symbols: q.request.symbols.join(","),
                startMs: q.request.startMs,
                endMs: q.request.endMs,
                cost: q.cost,
                dataset: q.dataset,
              },
              ...(q.notice ? { notice: { ok: true, message: q.notice } } : {}),
            };
          }),
        { detail: { hide: true } },
      )
      .post(
        "/replay/download",
        async ({ auth, body }) =>
          forms(auth, async () => {
            const row = await r.download(auth.userId, historicalBody(formOf(body)), auth.actor);
            return {
              notice: {
                ok: true,
                message: `Downloaded ${row.name}: ${row.records.toLocaleString("en-US")} records — ready to replay below.${row.notice ? ` ${row.notice}` : ""}`,
              },
            };
          }),
        { detail: { hide: true } },
      )
      .get(
        "/replay/:id/panel",
        ({ auth, params }) => htmlResponse(<ReplayPanel {...replayPanel(r.session(auth.userId, Number(params.id)))} />),
        { detail: { hide: true } },
      )
      .post(
        "/replay/:id/control",
        async ({ auth, params, body }) => {
          const id = Number(params.id);
          const f = formOf(body);
          const input = { action: first(f.action), speed: first(f.speed), unit: first(f.unit), toMs: first(f.toMs) };
          try {
            await r.control(auth.userId, id, input, auth.actor);
          } catch (err) {
            if (!(err instanceof AppError) || !r.isOpen(id)) throw err;
            return htmlResponse(<ReplayPanel {...replayPanel(r.session(auth.userId, id), err.message)} />, err.status);
          }
          if (!r.isOpen(id)) return new Response(null, { status: 204, headers: { "hx-redirect": "/replay" } });
          return htmlResponse(<ReplayPanel {...replayPanel(r.session(auth.userId, id))} />);
        },
        { detail: { hide: true } },
      )

      /* ---------- JSON API ---------- */
      .group("/api/v1", (api) =>
        api
          .get(
            "/replays",
            async ({ auth }) => ({
              replays: (await r.store.sessions(auth.userId)).map((s) => ({ ...s, open: r.isOpen(s.id) })),
            }),
            {
              detail: {
                tags,
                summary: "The caller's replay sessions (open ones can be played and traded)",
                responses: answers.list,
              },
            },
          )
          .post("/replays", async ({ auth, body }) => r.createParsed(auth.userId, body, auth.actor), {
            detail: {
              tags,
              summary: "Start a replay in a new account",
              description:
                "From the archive or a stored file. Trade in it with the trading routes and account `replay-<id>`.",
              responses: answers.create,
            },
            body: bodies.create,
          })
          .get(
            "/replays/:id",
            ({ auth, params }) => {
              const s = r.session(auth.userId, Number(params.id));
              return { ...replayPanel(s), symbols: s.roots };
            },
            {
              detail: {
                tags,
                summary: "State of an open replay: player state, speed, replay time, progress, summary when ended",
                responses: answers.state,
              },
            },
          )
          .post(
            "/replays/:id/control",
            async ({ auth, params, body }) => {
              const id = Number(params.id);
              await r.controlParsed(auth.userId, id, body, auth.actor);
              return r.isOpen(id) ? replayPanel(r.session(auth.userId, id)) : { id, state: "closed" };
            },
            {
              detail: {
                tags,
                summary: "Play, pause, speed, step, seek or close",
                description: "A seek goes back only while flat.",
                responses: answers.control,
              },
              body: bodies.control,
            },
          )
          .get(
            "/replays/:id/bars",
            ({ auth, params, query }) => {
              const s = r.session(auth.userId, Number(params.id));
              const symbol = typeof query.symbol === "string" ? query.symbol.toUpperCase() : s.roots[0]!;
              const interval = query.interval === "1s" ? "1s" : "1m";
              const count = Math.min(Math.max(Number(query.count ?? 600) || 600, 1), 5000);
              return { symbol, interval, bars: s.bars(symbol, interval, count) };
            },
            {
              detail: {
                tags,
                summary: "Bars the replay has built so far (and the one forming), for charts",
                responses: answers.bars,
              },
            },
          )
          .get(
            "/replay-files",
            async ({ auth }) => ({ files: (await r.store.files(auth.userId)).map(({ path: _path, ...f }) => f) }),
            {
              detail: { tags, summary: "Uploaded and downloaded DBN files kept for replay", responses: answers.files },
            },
          )
          .post(
            "/replay-files",
            async ({ auth, request }) => {
              const type = request.headers.get("content-type") ?? "";
              let name = "upload.dbn";
              let bytes: Uint8Array;
              if (type.startsWith("multipart/form-data")) {
                const form = await request.formData().catch(() => {
                  throw new AppError(400, "body: not a valid multipart form (send the file in a field named file)");
                });
                const file = form.get("file");
                if (!(file instanceof Blob)) throw new AppError(400, "file: a multipart field named file");
                name = (file as File).name || name;
                bytes = new Uint8Array(await file.arrayBuffer());
              } else {
                name = request.headers.get("x-file-name") ?? name;
                bytes = new Uint8Array(await request.arrayBuffer());
              }
              const { path: _path, ...row } = await r.upload(auth.userId, name, bytes, auth.actor);
              return row;
            },
            {
              parse: "none",
              detail: {
                tags,
                summary: "Upload a DBN file (multipart `file`, or the raw bytes with `x-file-name`)",
                responses: answers.file,
              },
            },
          )
          .post("/replay-files/quote", async ({ body }) => r.quote(body), {
            detail: {
              tags,
              summary: "What a Historical range costs (metadata.get_cost), before any download",
              responses: answers.quote,
            },
            body: bodies.quote,
          })
          .post(
            "/replay-files/download",
            async ({ auth, body }) => {
              const { path: _path, ...row } = await r.download(auth.userId, body, auth.actor);
              return row;
            },
            {
              detail: {
                tags,
                summary: "Download a Historical range after confirming its cost",
                description:
                  "409 when the price changed since the quote. Progress goes to `/ws` as `replay-download` messages.",
                responses: answers.download,
              },
              body: bodies.download,
            },
          ),
      )
  );
}
