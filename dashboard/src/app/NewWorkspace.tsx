import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { useNavigate } from "react-router";
import type { Workspace } from "../api/client";
import { ErrorNote } from "../ui/states";
import { rememberWorkspace, useCreateWorkspace } from "./workspace";

/** Name a new workspace; once created (you are its owner) the app switches to its inbox. */
export function CreateWorkspaceForm({ onCreated, onCancel, autoFocus = false }: { onCreated?: (ws: Workspace) => void; onCancel?: () => void; autoFocus?: boolean }) {
  const create = useCreateWorkspace();
  const navigate = useNavigate();
  const [name, setName] = useState("");
  const id = useId();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const trimmed = name.trim();
    if (!trimmed) return;
    create.mutate(trimmed, {
      onSuccess: (ws) => {
        rememberWorkspace(ws.id);
        // At once (not in a transition): a settings page showing "No workspace yet" would
        // otherwise open the new workspace's settings first.
        navigate(`/?ws=${encodeURIComponent(ws.id)}`, { flushSync: true });
        onCreated?.(ws);
      },
    });
  };
  return (
    <form className="stack create-workspace" onSubmit={submit} aria-label="Create a workspace">
      <label htmlFor={`${id}-name`}>Workspace name</label>
      <input
        id={`${id}-name`}
        className="input"
        required
        maxLength={100}
        autoComplete="off"
        autoFocus={autoFocus}
        placeholder="e.g. Acme web team"
        value={name}
        onChange={(e) => setName(e.target.value)}
      />
      <p className="hint">You become its owner. Invite people and add projects from its settings.</p>
      {create.isError && <ErrorNote error={create.error} />}
      <div className="row">
        <button type="submit" className="btn btn-primary" disabled={create.isPending || !name.trim()}>
          {create.isPending ? "Creating…" : "Create workspace"}
        </button>
        {onCancel && (
          <button type="button" className="btn" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}

/** The switcher's "New workspace…": a modal with the form (focus moves in, Esc closes). */
export function NewWorkspaceDialog({ onClose }: { onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const id = useId();
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
  }, []);
  return (
    <dialog ref={ref} className="confirm" aria-labelledby={`${id}-t`} onClose={onClose}>
      <h2 id={`${id}-t`}>New workspace</h2>
      <CreateWorkspaceForm autoFocus onCreated={onClose} onCancel={onClose} />
    </dialog>
  );
}
