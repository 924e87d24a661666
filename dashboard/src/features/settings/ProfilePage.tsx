import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useNavigate } from "react-router";
import { signOut as endSession } from "../../api/token";
import { sessionKind } from "../../app/session";
import { useMe } from "../../app/workspace";
import { ConfirmDialog } from "../../ui/Confirm";
import { ErrorNote, Loading } from "../../ui/states";
import { fullTime } from "../../ui/time";
import { useNotificationPrefs, useUpdateNotificationPrefs, type NotificationPrefs } from "./api";

/** Up to two letters from the name (or the email) for when there is no avatar picture. */
export function initials(name: string | null | undefined, email: string | null | undefined): string {
  const words = (name ?? "").trim().split(/\s+/).filter(Boolean);
  if (words.length > 0) return words.slice(0, 2).map((w) => Array.from(w)[0]!.toUpperCase()).join("");
  const first = Array.from((email ?? "").trim())[0];
  return first ? first.toUpperCase() : "?";
}

/** The signed-in user's own page (the same for every role, with or without a workspace). */
export function ProfilePage() {
  const me = useMe();
  return (
    <main className="admin-page" aria-labelledby="profile-h">
      <h1 id="profile-h">Your profile</h1>
      {me.isError ? (
        <ErrorNote error={me.error} onRetry={() => me.refetch()} />
      ) : me.isPending ? (
        <Loading label="Loading your profile…" />
      ) : (
        <section className="panel profile" aria-label="Account">
          <Avatar name={me.data.name} email={me.data.email} url={me.data.avatar_url} />
          <dl className="kv">
            <dt>Name</dt>
            <dd data-testid="profile-name">{me.data.name || <span className="muted">No name set</span>}</dd>
            <dt>Email</dt>
            <dd data-testid="profile-email">{me.data.email || <span className="muted">No email</span>}</dd>
            <dt>Workspaces</dt>
            <dd>{me.data.memberships.length}</dd>
            <dt>Member since</dt>
            <dd>{fullTime(me.data.created_at)}</dd>
          </dl>
          <p className="hint">
            Your name and picture come from your sign-in account (Supabase's <code>name</code> or <code>full_name</code> and <code>avatar_url</code>) and are
            refreshed each time you sign in.
          </p>
        </section>
      )}
      <Notifications />
      <Sessions email={me.data?.email ?? null} />
    </main>
  );
}

function Avatar({ name, email, url }: { name: string | null; email: string | null; url: string | null }) {
  // A picture the page's Content-Security-Policy blocks (or a dead link) falls back to initials.
  const [failed, setFailed] = useState(false);
  if (url && !failed)
    return <img className="avatar-large" data-testid="profile-avatar" src={url} alt={`Picture of ${name || email || "you"}`} onError={() => setFailed(true)} />;
  return (
    <span className="avatar-large avatar-initials" data-testid="profile-initials" role="img" aria-label={`Initials of ${name || email || "you"}`}>
      {initials(name, email)}
    </span>
  );
}

const PREFS: { key: keyof NotificationPrefs; label: string; help: string }[] = [
  { key: "assigned", label: "A bug is assigned to me", help: "An email when someone makes you the assignee." },
  { key: "mentioned", label: "Someone @mentions me", help: "An email when a comment mentions you." },
  { key: "watching", label: "Bugs I watch change", help: "Comments and status changes on bugs you reported, were assigned, commented on or chose to watch." },
];

function Notifications() {
  const prefs = useNotificationPrefs();
  const update = useUpdateNotificationPrefs();
  // A toggle shows its new state at once (held here until the API answers; on a refusal it goes
  // back to what the server has, and the error shows).
  const [pending, setPending] = useState<Partial<NotificationPrefs>>({});
  const toggle = (key: keyof NotificationPrefs, value: boolean) => {
    setPending((p) => ({ ...p, [key]: value }));
    update.mutate(
      { [key]: value },
      {
        onSettled: () =>
          setPending((p) => {
            const { [key]: _done, ...rest } = p;
            return rest;
          }),
      },
    );
  };
  return (
    <section className="panel" aria-labelledby="notify-h">
      <h2 id="notify-h">Email notifications</h2>
      {prefs.isError ? (
        <ErrorNote error={prefs.error} onRetry={() => prefs.refetch()} />
      ) : prefs.isPending ? (
        <Loading label="Loading your notification settings…" />
      ) : (
        <fieldset className="plain" aria-busy={update.isPending}>
          <legend className="sr-only">Email me when</legend>
          {PREFS.map((p) => (
            <div key={p.key} className="toggle-row">
              <label>
                <input type="checkbox" checked={pending[p.key] ?? prefs.data[p.key]} onChange={(e) => toggle(p.key, e.target.checked)} /> {p.label}
              </label>
              <p className="hint">{p.help}</p>
            </div>
          ))}
        </fieldset>
      )}
      {update.isError && <ErrorNote error={update.error} />}
      {update.isSuccess && !update.isPending && (
        <p role="status" className="bulk-note">
          Saved.
        </p>
      )}
    </section>
  );
}

function Sessions({ email }: { email: string | null }) {
  const kind = useQuery({ queryKey: ["session-kind"], queryFn: sessionKind, staleTime: Infinity });
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const supa = kind.data?.kind === "supabase" ? kind.data : null;
  const leave = () => {
    qc.clear();
    navigate("/signin");
  };
  const signOut = async () => {
    await endSession().catch(() => undefined);
    leave();
  };
  const everywhere = async (run: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await run();
      leave();
    } catch (e) {
      setError(e);
      setConfirming(false);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="panel" aria-labelledby="sessions-h">
      <h2 id="sessions-h">Sign out</h2>
      <div className="row wrap">
        <button type="button" className="btn" onClick={signOut}>
          Sign out of this browser
        </button>
        {supa && (
          <button type="button" className="btn btn-danger" onClick={() => setConfirming(true)}>
            Sign out everywhere
          </button>
        )}
      </div>
      {kind.isError ? (
        <ErrorNote error={kind.error} onRetry={() => kind.refetch()} />
      ) : kind.isPending ? (
        <Loading label="Checking how you signed in…" />
      ) : kind.data.kind === "local" ? (
        <p className="hint session-note" data-testid="signout-everywhere-unavailable">
          <strong>Sign out everywhere isn't available on this server.</strong> It runs in local mode: BugPort signs its own access tokens and keeps no
          sessions it could end, so there is nothing to revoke from here. "Sign out" forgets the token in this browser; a token used elsewhere stays valid
          until it expires. To cut off every token at once, the server's operator replaces its signing secret (<code>BUGPORT_SUPABASE_JWT_SECRET</code>, or
          the generated <code>jwt_secret</code> file in its data directory) and restarts it.
        </p>
      ) : kind.data.kind === "pasted_token" ? (
        <p className="hint session-note" data-testid="signout-everywhere-unavailable">
          <strong>Sign out everywhere isn't available for this sign-in.</strong> You signed in with a pasted access token, not through Supabase, so this
          browser holds no Supabase session to end on your other devices. Sign in with your email to use it.
        </p>
      ) : (
        <p className="hint session-note">
          "Sign out everywhere" ends every Supabase session of your account: this browser and all your other devices, which can no longer renew their
          sign-in.
        </p>
      )}
      {error != null && <ErrorNote error={error} />}
      {confirming && supa && (
        <ConfirmDialog
          title="Sign out everywhere?"
          confirmLabel="Sign out everywhere"
          busy={busy}
          onCancel={() => setConfirming(false)}
          onConfirm={() => void everywhere(supa.signOutEverywhere)}
        >
          <p>
            Every session of {email ?? "your account"} ends: here at once, and on your other devices they can't renew it any more. An access token a
            device already holds keeps working until it expires (at most an hour with Supabase's default settings), because BugPort checks those tokens
            itself.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}
