import { useQuery } from "@tanstack/react-query";
import { useEffect, useRef, useState, type FormEvent } from "react";
import { useLocation, useNavigate, useSearchParams } from "react-router";
import { api, call } from "../../api/client";
import { ApiError } from "../../api/errors";
import { setToken } from "../../api/token";
import { ErrorNote, Loading } from "../../ui/states";

/** Only a path on this site: never an open redirect. */
function safeNext(next: string | null): string {
  return next && next.startsWith("/") && !next.startsWith("//") ? next : "/";
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
  const config = useQuery({
    queryKey: ["public-config"],
    queryFn: () => call(api.GET("/v1/public/config")),
    staleTime: Infinity,
  });

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
          <p className="muted">
            This server uses Supabase sign-in (email and password, magic link); paste an access token above meanwhile.
          </p>
        )}
      </div>
    </main>
  );
}
