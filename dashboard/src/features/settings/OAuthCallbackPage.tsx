import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { Link, useLocation, useNavigate, useParams } from "react-router";
import { api, call } from "../../api/client";
import { isApiError } from "../../api/errors";
import { ErrorNote, Loading } from "../../ui/states";
import { type ProviderId } from "./api";
import { PROVIDER_NAMES } from "./IntegrationsPage";

type Outcome =
  | { kind: "denied" }
  | { kind: "provider_error"; error: string; description: string | null }
  | { kind: "incomplete" }
  | { kind: "unknown_provider" }
  | { kind: "failed"; error: unknown };

/** Only a path on this site (what the API itself accepts as `return_path`). */
function safePath(path: string | null | undefined): string | null {
  if (!path || !path.startsWith("/") || path.startsWith("//") || path.includes("\\")) return null;
  return path;
}

/** Where the provider sends the browser back (`redirect_uri`, `/integrations/{provider}/callback`):
 * takes `code` and `state` out of the address bar at once (history replaced), posts them to the
 * API as the signed-in user, then returns to the integrations page, which shows the connection.
 * A denial, a provider error, or a state the API refuses is explained here, with a way back. */
export function OAuthCallbackPage() {
  const { provider = "" } = useParams();
  const location = useLocation();
  const navigate = useNavigate();
  const qc = useQueryClient();
  // Read once, on the first render; the URL is cleaned right after.
  const [params] = useState(() => new URLSearchParams(location.search));
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const sent = useRef(false);
  const known = provider in PROVIDER_NAMES;
  const name = known ? PROVIDER_NAMES[provider as ProviderId] : provider;

  useEffect(() => {
    if (sent.current) return; // once, also under StrictMode's double effects
    sent.current = true;
    if (location.search) navigate(location.pathname, { replace: true });
    const code = params.get("code");
    const state = params.get("state");
    const error = params.get("error");
    if (!known) return setOutcome({ kind: "unknown_provider" });
    if (error === "access_denied") return setOutcome({ kind: "denied" });
    if (error) return setOutcome({ kind: "provider_error", error, description: params.get("error_description") });
    if (!code || !state) return setOutcome({ kind: "incomplete" });
    call(api.POST("/v1/connectors/{provider}/oauth/callback", { params: { path: { provider: provider as ProviderId } }, body: { code, state } })).then(
      (conn) => {
        void qc.invalidateQueries({ queryKey: ["connectors", conn.workspace_id] });
        navigate(safePath(conn.return_path) ?? `/settings/integrations?ws=${encodeURIComponent(conn.workspace_id)}`, {
          replace: true,
          state: { connected: { provider: conn.provider, account: conn.account_name, id: conn.id } },
        });
      },
      (e: unknown) => setOutcome({ kind: "failed", error: e }),
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (outcome) heading.current?.focus();
  }, [outcome]);

  if (!outcome) return <Loading label={`Finishing the ${name} connection…`} />;
  const back = (
    <p>
      <Link to="/settings/integrations" className="btn">
        Back to Integrations
      </Link>
    </p>
  );
  const stateRefused =
    outcome.kind === "failed" && isApiError(outcome.error) && outcome.error.status === 422 && outcome.error.details.some((d) => d.field === "body.state");
  return (
    <main className="page-message" data-testid="oauth-callback" data-outcome={stateRefused ? "state" : outcome.kind}>
      {outcome.kind === "denied" ? (
        <>
          <h1 ref={heading} tabIndex={-1}>
            {name} was not connected
          </h1>
          <p role="alert">You declined to give BugPort access at {name}, so nothing was connected. You can connect it again any time.</p>
        </>
      ) : outcome.kind === "provider_error" ? (
        <>
          <h1 ref={heading} tabIndex={-1}>
            {name} did not complete the connection
          </h1>
          <p role="alert">
            {name} answered <code>{outcome.error}</code>
            {outcome.description ? `: ${outcome.description}` : "."} Nothing was connected; start again from Integrations.
          </p>
        </>
      ) : outcome.kind === "incomplete" ? (
        <>
          <h1 ref={heading} tabIndex={-1}>
            Nothing to finish here
          </h1>
          <p role="alert">This page is where {name} sends you back after you allow access; it came without a code and state. Start the connection from Integrations.</p>
        </>
      ) : outcome.kind === "unknown_provider" ? (
        <>
          <h1 ref={heading} tabIndex={-1}>
            Unknown tracker
          </h1>
          <p role="alert">BugPort connects GitHub, Linear and Jira; “{provider}” is none of them.</p>
        </>
      ) : stateRefused && isApiError(outcome.error) ? (
        <>
          <h1 ref={heading} tabIndex={-1}>
            This {name} connection can't be verified
          </h1>
          <p role="alert">
            <strong>{outcome.error.details.find((d) => d.field === "body.state")?.message ?? outcome.error.message}</strong>
          </p>
          <p>
            BugPort only accepts the answer to a connection you started yourself, once, within a few minutes. Nothing was connected: start again from
            Integrations.
          </p>
        </>
      ) : (
        <>
          <h1 ref={heading} tabIndex={-1}>
            {name} was not connected
          </h1>
          <ErrorNote error={outcome.error} />
        </>
      )}
      {back}
    </main>
  );
}
