import { useState, type FormEvent } from "react";
import { useNavigate } from "react-router";
import type { Member } from "../../api/client";
import { isApiError } from "../../api/errors";
import { memberName, useMe, useMembers } from "../../app/workspace";
import { ConfirmDialog, CopyButton } from "../../ui/Confirm";
import { ErrorNote, Loading } from "../../ui/states";
import { age, fullTime } from "../../ui/time";
import { atLeast, useChangeRole, useCreateInvite, useInvites, useRemoveMember, useRevokeInvite, type InviteCreated, type Role } from "./api";
import { useSettings } from "./SettingsLayout";

const ROLES: Role[] = ["viewer", "member", "admin", "owner"];
const ROLE_HELP: Record<Role, string> = {
  viewer: "reads everything",
  member: "also writes bugs, comments and media",
  admin: "also manages projects, keys, invites, members, connectors",
  owner: "also billing and deleting the workspace",
};

/** What the API says when the last owner would go, in words that say how to get past it. */
function LastOwnerNote({ error }: { error: unknown }) {
  if (!(isApiError(error) && error.status === 409)) return null;
  return (
    <p className="hint" data-testid="last-owner">
      A workspace always keeps at least one owner. Make another member owner first, then change or remove this one.
    </p>
  );
}

/** The invite link: the token rides in the URL fragment, which reaches neither a server nor a Referer. */
export function inviteLink(token: string): string {
  return `${window.location.origin}/invite#token=${encodeURIComponent(token)}`;
}

export function MembersPage() {
  const { workspace, role } = useSettings();
  const members = useMembers(workspace.id);
  const me = useMe();
  const isAdmin = atLeast(role, "admin");
  const isOwner = role === "owner";
  const change = useChangeRole(workspace.id);
  const remove = useRemoveMember(workspace.id);
  const navigate = useNavigate();
  const [removing, setRemoving] = useState<Member | null>(null);
  const [failedFor, setFailedFor] = useState<string | null>(null);
  const meId = me.data?.id;

  // Only an owner grants, takes away or removes the owner role (docs/roles.md).
  const canManage = (m: Member) => isAdmin && m.user_id !== meId && (m.role !== "owner" || isOwner);

  return (
    <main className="admin-page" aria-labelledby="members-h">
      <h1 id="members-h">Members</h1>
      <p className="hint">
        Roles: {ROLES.map((r) => `${r} (${ROLE_HELP[r]})`).join(" · ")}. Roles apply on the next request.
      </p>
      {members.isError ? (
        <ErrorNote error={members.error} onRetry={() => members.refetch()} />
      ) : members.isPending ? (
        <Loading label="Loading members…" />
      ) : (
        <table className="table" aria-label="Members">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Email</th>
              <th scope="col">Role</th>
              <th scope="col">Joined</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {members.data.map((m) => (
              <tr key={m.user_id} data-testid="member-row" data-email={m.email ?? ""}>
                <td>
                  {m.avatar_url && <img className="avatar" src={m.avatar_url} alt="" />}
                  {memberName(m)}
                  {m.user_id === meId && <span className="muted"> (you)</span>}
                </td>
                <td>{m.email}</td>
                <td>
                  {canManage(m) ? (
                    <select
                      className="input"
                      aria-label={`Role of ${memberName(m)}`}
                      value={m.role}
                      disabled={change.isPending}
                      onChange={(e) => {
                        setFailedFor(m.user_id);
                        change.mutate({ userId: m.user_id, role: e.target.value as Role });
                      }}
                    >
                      {ROLES.filter((r) => r !== "owner" || isOwner).map((r) => (
                        <option key={r} value={r}>
                          {r}
                        </option>
                      ))}
                    </select>
                  ) : (
                    <span className={`badge role-${m.role}`}>{m.role}</span>
                  )}
                  {change.isError && failedFor === m.user_id && (
                    <>
                      <ErrorNote error={change.error} />
                      <LastOwnerNote error={change.error} />
                    </>
                  )}
                </td>
                <td className="muted" title={fullTime(m.joined_at)}>
                  {age(m.joined_at)}
                </td>
                <td>
                  {canManage(m) && (
                    <button type="button" className="btn btn-small btn-danger" onClick={() => setRemoving(m)}>
                      Remove
                    </button>
                  )}
                  {m.user_id === meId && (
                    <button type="button" className="btn btn-small btn-danger" onClick={() => setRemoving(m)}>
                      Leave workspace
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {remove.isError && (
        <>
          <ErrorNote error={remove.error} />
          <LastOwnerNote error={remove.error} />
        </>
      )}
      {removing && (
        <ConfirmDialog
          title={removing.user_id === meId ? `Leave ${workspace.name}?` : `Remove ${memberName(removing)}?`}
          confirmLabel={removing.user_id === meId ? "Leave workspace" : "Remove member"}
          busy={remove.isPending}
          onCancel={() => setRemoving(null)}
          onConfirm={() =>
            remove.mutate(removing.user_id, {
              onSuccess: () => {
                const left = removing.user_id === meId;
                setRemoving(null);
                if (left) navigate("/", { replace: true });
              },
              onError: () => setRemoving(null),
            })
          }
        >
          {removing.user_id === meId ? (
            <p>You lose access to {workspace.name}'s bugs at once. Someone has to invite you again to come back.</p>
          ) : (
            <p>
              {memberName(removing)} ({removing.email}) loses access to {workspace.name} at once. Their bugs and comments stay; their MCP tokens for this workspace stop working.
            </p>
          )}
        </ConfirmDialog>
      )}
      {isAdmin && <Invites workspaceId={workspace.id} isOwner={isOwner} />}
    </main>
  );
}

function Invites({ workspaceId, isOwner }: { workspaceId: string; isOwner: boolean }) {
  const invites = useInvites(workspaceId, true);
  const create = useCreateInvite(workspaceId);
  const revoke = useRevokeInvite(workspaceId);
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Role>("member");
  const [created, setCreated] = useState<InviteCreated | null>(null);
  const [revoking, setRevoking] = useState<{ id: string; email: string } | null>(null);
  const pending = (invites.data ?? []).filter((i) => i.status === "pending");
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate(
      { email: email.trim(), role },
      {
        onSuccess: (inv) => {
          setCreated(inv);
          setEmail("");
        },
      },
    );
  };
  return (
    <section className="panel" aria-labelledby="invites-h">
      <h2 id="invites-h">Invites</h2>
      <form className="row wrap" onSubmit={submit} aria-label="Invite someone">
        <label className="stack-inline">
          Email
          <input className="input" type="email" required value={email} onChange={(e) => setEmail(e.target.value)} autoComplete="off" />
        </label>
        <label className="stack-inline">
          Role
          <select className="input" value={role} onChange={(e) => setRole(e.target.value as Role)}>
            {ROLES.filter((r) => r !== "owner" || isOwner).map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className="btn btn-primary" disabled={create.isPending}>
          {create.isPending ? "Inviting…" : "Send invite"}
        </button>
      </form>
      {create.isError && <ErrorNote error={create.error} />}
      {created && (
        <div className="secret-box" role="status" data-testid="invite-created">
          <p>
            Invite for <strong>{created.email}</strong> ({created.role}) created. Send them this link — <strong>you won't see it again</strong>. It
            works once, for that email, until {fullTime(created.expires_at)}.
          </p>
          <div className="row">
            <input className="input mono grow" readOnly aria-label="Invite link" value={inviteLink(created.token)} onFocus={(e) => e.target.select()} />
            <CopyButton text={inviteLink(created.token)} label="Copy invite link" />
            <button type="button" className="btn btn-small btn-ghost" onClick={() => setCreated(null)}>
              Done
            </button>
          </div>
        </div>
      )}
      <h3>Pending</h3>
      {invites.isError ? (
        <ErrorNote error={invites.error} onRetry={() => invites.refetch()} />
      ) : invites.isPending ? (
        <Loading label="Loading invites…" />
      ) : pending.length === 0 ? (
        <p className="muted">No pending invites.</p>
      ) : (
        <table className="table" aria-label="Pending invites">
          <thead>
            <tr>
              <th scope="col">Email</th>
              <th scope="col">Role</th>
              <th scope="col">Token</th>
              <th scope="col">Expires</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {pending.map((i) => (
              <tr key={i.id} data-testid="invite-row">
                <td>{i.email}</td>
                <td>{i.role}</td>
                <td className="mono muted">{i.token_hint}</td>
                <td title={fullTime(i.expires_at)}>{age(i.expires_at)}</td>
                <td>
                  <button type="button" className="btn btn-small btn-danger" onClick={() => setRevoking({ id: i.id, email: i.email })}>
                    Revoke
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {revoke.isError && <ErrorNote error={revoke.error} />}
      {revoking && (
        <ConfirmDialog
          title={`Revoke the invite for ${revoking.email}?`}
          confirmLabel="Revoke invite"
          busy={revoke.isPending}
          onCancel={() => setRevoking(null)}
          onConfirm={() => revoke.mutate(revoking.id, { onSettled: () => setRevoking(null) })}
        >
          <p>The link sent to {revoking.email} stops working at once.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}
