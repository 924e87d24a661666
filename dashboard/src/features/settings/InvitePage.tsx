import { useEffect, useState } from "react";
import { Link, useLocation, useNavigate } from "react-router";
import { rememberWorkspace } from "../../app/workspace";
import { useToken } from "../../app/RequireAuth";
import { ErrorNote } from "../../ui/states";
import { useAcceptInvite } from "./api";

// The invite token is a secret: it is read from the link's fragment, removed from the address
// bar at once, and kept only in this page's memory (never in storage), through an in-app sign-in.
let pendingToken: string | null = null;

function takeFromHash(hash: string): void {
  const t = new URLSearchParams(hash.replace(/^#/, "")).get("token");
  if (t) {
    pendingToken = t;
    window.history.replaceState(window.history.state, "", "/invite");
  }
}

/** `/invite#token=…`: accept an invite. Signed out, it asks to sign in (or up) with the invited
 * email and comes back here; then one click joins the workspace and lands in its inbox. */
export function InvitePage() {
  const location = useLocation();
  const navigate = useNavigate();
  const signedIn = !!useToken();
  const accept = useAcceptInvite();
  const [token, setToken] = useState<string | null>(() => {
    takeFromHash(window.location.hash);
    return pendingToken;
  });
  useEffect(() => {
    takeFromHash(location.hash);
    setToken(pendingToken);
  }, [location.hash]);

  const join = () => {
    if (!token) return;
    accept.mutate(token, {
      onSuccess: (r) => {
        pendingToken = null;
        rememberWorkspace(r.workspace_id);
        navigate(`/?ws=${encodeURIComponent(r.workspace_id)}`, { replace: true });
      },
    });
  };

  return (
    <main className="signin" aria-labelledby="invite-h">
      <div className="signin-card stack">
        <h1 id="invite-h">Join a BugPort workspace</h1>
        {!token ? (
          <>
            <p>This invite link is incomplete, or it was already opened in this tab and the page was reloaded.</p>
            <p>Open the link from your invite again, or ask the person who invited you for a new one.</p>
            <Link to="/">Go to BugPort</Link>
          </>
        ) : !signedIn ? (
          <>
            <p>You've been invited to a workspace. Sign in — or sign up — with the email address the invite was sent to, then accept it here.</p>
            <button type="button" className="btn btn-primary" onClick={() => navigate("/signin?next=%2Finvite")}>
              Sign in to accept
            </button>
          </>
        ) : (
          <>
            <p>Accepting adds you to the workspace with the role you were invited with. The invite works once.</p>
            <button type="button" className="btn btn-primary" onClick={join} disabled={accept.isPending}>
              {accept.isPending ? "Joining…" : "Accept invite"}
            </button>
            {accept.isError && <ErrorNote error={accept.error} />}
          </>
        )}
      </div>
    </main>
  );
}
