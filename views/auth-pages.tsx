import { Html, type PropsWithChildren } from "@elysiajs/html";
import { Layout } from "./layout";

export interface LoginProps {
  csrf: string;
  username?: string;
  error?: string;
  next?: string;
}

export function LoginPage({ csrf, username, error, next }: LoginProps) {
  return (
    <Layout title="Sign in">
      <section class="card card-narrow">
        <h1>Sign in</h1>
        {error ? (
          <p class="alert alert-error" role="alert" safe>
            {error}
          </p>
        ) : (
          ""
        )}
        <form method="post" action="/login" class="form">
          <input type="hidden" name="_csrf" value={csrf} />
          <input type="hidden" name="next" value={next ?? "/"} />
          <label>
            Username
            <input name="username" autocomplete="username" required autofocus value={username ?? ""} maxlength="40" />
          </label>
          <label>
            Password
            <input name="password" type="password" autocomplete="current-password" required maxlength="512" />
          </label>
          <button type="submit" class="btn btn-primary">
            Sign in
          </button>
        </form>
      </section>
    </Layout>
  );
}

export interface SetupProps {
  csrf: string;
  token: string;
  username?: string;
  error?: string;
}

export function SetupPage({ csrf, token, username, error }: SetupProps) {
  return (
    <Layout title="First-run setup">
      <section class="card card-narrow">
        <h1>Create the first user</h1>
        <p class="muted">
          This link was printed in the server log and works once. The user gets a paper and a live account.
        </p>
        {error ? (
          <p class="alert alert-error" role="alert" safe>
            {error}
          </p>
        ) : (
          ""
        )}
        <form method="post" action="/setup" class="form">
          <input type="hidden" name="_csrf" value={csrf} />
          <input type="hidden" name="token" value={token} />
          <label>
            Username
            <input
              name="username"
              autocomplete="username"
              required
              autofocus
              value={username ?? ""}
              maxlength="40"
              pattern="[A-Za-z0-9][A-Za-z0-9._\-]{0,39}"
            />
          </label>
          <NewPassword name="password">
            Password <span class="muted">(at least 10 characters)</span>
          </NewPassword>
          <NewPassword name="password2">Repeat password</NewPassword>
          <button type="submit" class="btn btn-primary">
            Create user
          </button>
        </form>
      </section>
    </Layout>
  );
}

/** A password being chosen, with its label: the same bounds as the server's check (10 to 512 characters). */
function NewPassword({ name, children }: PropsWithChildren<{ name: string }>) {
  return (
    <label>
      {children}
      <input name={name} type="password" autocomplete="new-password" required minlength="10" maxlength="512" />
    </label>
  );
}

export function SetupDonePage() {
  return (
    <Layout title="Setup">
      <section class="card card-narrow">
        <h1>Setup is closed</h1>
        <p>
          A user exists already, or this setup link has expired. Sign in, or restart the server with no users to get a
          new link.
        </p>
        <p>
          <a class="btn btn-primary" href="/login">
            Sign in
          </a>
        </p>
      </section>
    </Layout>
  );
}

export function ErrorPage({ status, message }: { status: number; message: string }) {
  return (
    <Layout title={`Error ${status}`}>
      <section class="card card-narrow">
        <h1 safe>{String(status)}</h1>
        <p safe>{message}</p>
        <p>
          <a class="btn" href="/">
            Back to positions
          </a>
        </p>
      </section>
    </Layout>
  );
}
