import { useQuery } from "@tanstack/react-query";
import { useEffect, useRef, useState, type FormEvent } from "react";
import { useLocation, useNavigate, useSearchParams } from "react-router";
import { api, call } from "../../api/client";
import { ApiError } from "../../api/errors";
import { setToken } from "../../api/token";
import { ErrorNote, Loading } from "../../ui/states";
import { loadConfig, startSupabase } from "../../app/session";

/** Only a path on this site: never an open redirect. */
function safeNext(next: string | null): string {
  return next && next.startsWith("/") && !next.startsWith("//") ? next : "/";
}

function authError(e: { message: string; code?: string; status?: number }): ApiError {
  return new ApiError(e.status ?? 400, e.code ?? "auth_error", e.message || "Sign-in failed.");
}

async function finishSignIn(token: string): Promise<void> {
  // Validate the token (and create the profile on first use) before keeping it.
  const r = await call(api.POST("/v1/auth/sync-profile", { headers: { Authorization: `Bearer ${token}` } }));
  void r;
  setToken(token);
}

export function SignInPage() {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const next = safeNext(params.get("next"));
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [paste, setPaste] = useState("");
  const started = useRef<string | null>(null);
  const { hash } = useLocation();
  const config = useQuery({ queryKey: ["public-config"], queryFn: loadConfig, staleTime: Infinity });
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [sent, setSent] = useState<string | null>(null);

  useEffect(() => {
    const code = new URLSearchParams(hash.slice(1)).get("code");
    if (!code || started.current === code) return;
    started.current = code;
    setError(null);
    // The code works once: drop it from the address bar and history right away.
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
    setBusy(true);
    (async () => {
      try {
        const session = await call(api.POST("/v1/auth/local-signin", { body: { code } }));
        await finishSignIn(session.access_token);
        navigate(next, { replace: true });
      } catch (e) {
        setError(e);
        setBusy(false);
      }
    })();
  }, [hash, navigate, next]);

  // Back from a magic link: Supabase's client reads #access_token=… and holds the session.
  useEffect(() => {
    if (!/access_token=|error_description=/.test(hash) || started.current === hash) return;
    started.current = hash;
    const err = new URLSearchParams(hash.slice(1)).get("error_description");
    if (err) {
      setError(new ApiError(401, "magic_link_failed", err));
      return;
    }
    setBusy(true);
    (async () => {
      try {
        const c = await startSupabase();
        let session = c ? (await c.auth.getSession()).data.session : null;
        const fragment = new URLSearchParams(hash.slice(1));
        const access = fragment.get("access_token");
        const refresh = fragment.get("refresh_token");
        if (c && !session && access && refresh) {
          // The client was already running when the link was opened in this tab.
          const { data, error: err } = await c.auth.setSession({ access_token: access, refresh_token: refresh });
          if (err) throw authError(err);
          session = data.session;
          window.history.replaceState(null, "", window.location.pathname + window.location.search);
        }
        if (!session) throw new ApiError(401, "invalid_token", "This sign-in link is invalid or expired. Ask for a new one.");
        await finishSignIn(session.access_token);
        navigate(next, { replace: true });
      } catch (e) {
        setError(e);
        setBusy(false);
      }
    })();
  }, [hash, navigate, next]);

  const supabaseCall = async (run: (c: NonNullable<Awaited<ReturnType<typeof startSupabase>>>) => Promise<void>) => {
    setBusy(true);
    setError(null);
    setSent(null);
    try {
      const c = await startSupabase();
      if (!c) throw new ApiError(0, "supabase_not_configured", "Supabase sign-in is not configured on this server.");
      await run(c);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const onPassword = (e: FormEvent) => {
    e.preventDefault();
    void supabaseCall(async (c) => {
      const { data, error: err } = await c.auth.signInWithPassword({ email: email.trim(), password });
      if (err || !data.session) throw err ? authError(err) : new ApiError(401, "auth_error", "No session was returned.");
      await finishSignIn(data.session.access_token);
      navigate(next, { replace: true });
    });
  };
  const onMagicLink = () => {
    void supabaseCall(async (c) => {
      const back = `${window.location.origin}/signin${next !== "/" ? `?next=${encodeURIComponent(next)}` : ""}`;
      const { error: err } = await c.auth.signInWithOtp({ email: email.trim(), options: { emailRedirectTo: back, shouldCreateUser: true } });
      if (err) throw authError(err);
      setSent(email.trim());
    });
  };

  const onPaste = async (e: FormEvent) => {
    e.preventDefault();
    const token = paste.trim().replace(/^Bearer\s+/i, "");
    if (!token) {
      setError(new ApiError(0, "token_missing", "Paste a token first."));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await finishSignIn(token);
      navigate(next, { replace: true });
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  const modes = config.data?.auth_modes ?? [];
  return (
    <main className="signin">
      <div className="signin-card">
        <h1>Sign in to BugPort</h1>
        {busy && <Loading label="Signing in…" />}
        {error != null && <ErrorNote error={error} />}
        {config.isPending && <Loading label="Loading sign-in options…" />}
        {config.isError && <ErrorNote error={config.error} onRetry={() => config.refetch()} />}
        {modes.includes("signin_link") && (
          <p className="muted">
            Running locally? Open the sign-in link that <code>bugport serve</code> printed in its terminal.
          </p>
        )}
        {(modes.includes("token") || config.isError) && (
          <form onSubmit={onPaste} className="stack">
            <label htmlFor="token">Access token</label>
            <textarea
              id="token"
              className="input mono"
              rows={3}
              value={paste}
              onChange={(e) => setPaste(e.target.value)}
              placeholder="eyJhbGciOi…"
              autoComplete="off"
              spellCheck={false}
            />
            <p className="hint">
              From <code>bugport token --email you@example.com</code>.
            </p>
            <button type="submit" className="btn btn-primary" disabled={busy}>
              Sign in with token
            </button>
          </form>
        )}
        {(modes.includes("password") || modes.includes("magic_link")) && (
          <form onSubmit={onPassword} className="stack" aria-label="Sign in with email">
            <label htmlFor="email">Email</label>
            <input id="email" type="email" className="input" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
            {modes.includes("password") && (
              <>
                <label htmlFor="password">Password</label>
                <input
                  id="password"
                  type="password"
                  className="input"
                  autoComplete="current-password"
                  value={password}
                  onChange={(e) => setPassword(e.target.value)}
                />
                <button type="submit" className="btn btn-primary" disabled={busy || !password}>
                  Sign in
                </button>
              </>
            )}
            {modes.includes("magic_link") && (
              <button type="button" className="btn" disabled={busy || !email.trim()} onClick={onMagicLink}>
                Email me a sign-in link
              </button>
            )}
            {sent && (
              <p role="status">
                Check <strong>{sent}</strong> for a sign-in link.
              </p>
            )}
          </form>
        )}
      </div>
    </main>
  );
}
