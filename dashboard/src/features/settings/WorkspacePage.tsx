import { useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useNavigate } from "react-router";
import type { Workspace } from "../../api/client";
import { forgetWorkspace, rememberWorkspace } from "../../app/workspace";
import { ConfirmDialog } from "../../ui/Confirm";
import { ErrorNote, Loading } from "../../ui/states";
import { bytes, fullTime } from "../../ui/time";
import { atLeast, useBilling, useDeleteWorkspace, useRenameWorkspace, useStorage } from "./api";
import { useSettings } from "./SettingsLayout";

/** The workspace itself: its name (admins rename it) and, for owners, deleting it with
 * everything in it, after typing its name (docs/roles.md: workspace.update admin, delete owner). */
export function WorkspacePage() {
  const { workspace, role } = useSettings();
  const canRename = atLeast(role, "admin");
  const canDelete = role === "owner";
  return (
    <main className="admin-page" aria-labelledby="workspace-h">
      <h1 id="workspace-h">Workspace</h1>
      <section className="panel" aria-labelledby="ws-about-h">
        <h2 id="ws-about-h" className="sr-only">
          About this workspace
        </h2>
        <dl className="kv">
          <dt>Name</dt>
          <dd data-testid="workspace-name">{workspace.name}</dd>
          <dt>Your role</dt>
          <dd>{role}</dd>
          <dt>Plan</dt>
          <dd>{workspace.plan_id}</dd>
          <dt>Created</dt>
          <dd>{fullTime(workspace.created_at)}</dd>
        </dl>
      </section>
      {canRename ? (
        <Rename workspace={workspace} />
      ) : (
        <p className="hint" data-testid="workspace-readonly">
          Admins and owners rename the workspace; only owners delete it. Your role here is {role}.
        </p>
      )}
      {canDelete ? <DangerZone workspace={workspace} /> : canRename && <p className="hint">Only an owner can delete the workspace.</p>}
    </main>
  );
}

function Rename({ workspace }: { workspace: Workspace }) {
  const rename = useRenameWorkspace(workspace.id);
  const [name, setName] = useState(workspace.name);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const trimmed = name.trim();
    if (trimmed) rename.mutate(trimmed, { onSuccess: (ws) => setName(ws.name) });
  };
  const unchanged = name.trim() === workspace.name;
  return (
    <section className="panel" aria-labelledby="rename-h">
      <h2 id="rename-h">Rename</h2>
      <form className="row wrap" onSubmit={submit} aria-label="Rename the workspace">
        <label className="stack-inline grow">
          Workspace name
          <input className="input" required maxLength={100} autoComplete="off" value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <button type="submit" className="btn btn-primary" disabled={rename.isPending || unchanged || !name.trim()}>
          {rename.isPending ? "Saving…" : "Rename"}
        </button>
      </form>
      {rename.isError && <ErrorNote error={rename.error} />}
      {rename.isSuccess && unchanged && (
        <p role="status" className="bulk-note">
          Renamed to {rename.data.name}.
        </p>
      )}
    </section>
  );
}

function DangerZone({ workspace }: { workspace: Workspace }) {
  const [open, setOpen] = useState(false);
  const del = useDeleteWorkspace(workspace.id);
  const qc = useQueryClient();
  const navigate = useNavigate();
  const onConfirm = () =>
    del.mutate(undefined, {
      onSuccess: () => {
        // Land on another workspace's inbox, or the "create a workspace" state when none is left.
        // The page is left first (synchronously): the settings layout, seeing its workspace gone
        // from the list, would otherwise switch to another workspace's settings instead.
        const rest = (qc.getQueryData<Workspace[]>(["workspaces"]) ?? []).filter((w) => w.id !== workspace.id);
        forgetWorkspace(workspace.id);
        const next = rest[0];
        if (next) rememberWorkspace(next.id);
        navigate(next ? `/?ws=${encodeURIComponent(next.id)}` : "/", { replace: true, flushSync: true });
        qc.setQueryData<Workspace[]>(["workspaces"], rest);
        for (const key of ["projects", "members", "storage", "billing", "invites", "mcp-tokens", "storage-addons"]) qc.removeQueries({ queryKey: [key, workspace.id] });
      },
    });
  return (
    <section className="panel danger-zone" aria-labelledby="delete-h">
      <h2 id="delete-h">Delete this workspace</h2>
      <p>Deletes its projects, bugs, comments, share links, stored files, members, invites, widget keys and MCP tokens. This can't be undone.</p>
      <button
        type="button"
        className="btn btn-danger"
        onClick={() => {
          del.reset();
          setOpen(true);
        }}
      >
        Delete workspace…
      </button>
      {del.isError && !open && <ErrorNote error={del.error} />}
      {open && <DeleteDialog workspace={workspace} busy={del.isPending} error={del.isError ? del.error : null} onConfirm={onConfirm} onCancel={() => setOpen(false)} />}
    </section>
  );
}

function size(n: number): string {
  return bytes(n) || "0 B";
}

function DeleteDialog({
  workspace,
  busy,
  error,
  onConfirm,
  onCancel,
}: {
  workspace: Workspace;
  busy: boolean;
  error: unknown;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  // Fresh numbers each time the dialog opens: what goes is what is there now.
  const storage = useStorage(workspace.id);
  const billing = useBilling(workspace.id, true);
  const ready = storage.isSuccess && billing.isSuccess && !storage.isFetching && !billing.isFetching;
  return (
    <ConfirmDialog
      title={`Delete ${workspace.name}?`}
      confirmLabel="Delete workspace"
      typeToConfirm={workspace.name}
      busy={busy}
      ready={ready}
      onConfirm={onConfirm}
      onCancel={onCancel}
    >
      {storage.isError ? (
        <ErrorNote error={storage.error} onRetry={() => storage.refetch()} />
      ) : billing.isError ? (
        <ErrorNote error={billing.error} onRetry={() => billing.refetch()} />
      ) : !ready ? (
        <Loading label="Counting what would be deleted…" />
      ) : (
        <>
          <p>This deletes, at once and for good:</p>
          <ul data-testid="delete-summary">
            <li data-testid="delete-bugs">
              <strong>
                {storage.data.bug_count} {storage.data.bug_count === 1 ? "bug" : "bugs"}
              </strong>{" "}
              with their comments and share links, and every project
            </li>
            <li data-testid="delete-bytes">
              <strong>{size(storage.data.used_bytes + storage.data.reserved_bytes)}</strong> of stored files (screenshots, videos, attachments)
            </li>
            <li data-testid="delete-subscription">
              <Subscription billing={billing.data} />
            </li>
          </ul>
          <p className="hint">Members lose access; widget keys and MCP tokens stop working.</p>
        </>
      )}
      {error != null && <ErrorNote error={error} />}
    </ConfirmDialog>
  );
}

type BillingState = NonNullable<ReturnType<typeof useBilling>["data"]>;

function Subscription({ billing: b }: { billing: BillingState }) {
  if (!b.billing_enabled) return <>No subscription (billing is off on this server)</>;
  if (!b.subscribed_plan_id || b.status === "canceled") return <>No subscription</>;
  const plan = b.plan_id === b.subscribed_plan_id ? (b.plan_name ?? b.subscribed_plan_id) : b.subscribed_plan_id;
  return (
    <>
      The <strong>{plan}</strong> subscription ({b.status.replace(/_/g, " ")}
      {b.interval ? `, billed ${b.interval}` : ""}): canceled at Stripe first; if Stripe can't be reached, nothing is deleted
    </>
  );
}
