import { useId, useState, type FormEvent } from "react";
import { Link } from "react-router";
import type { Bug } from "../../api/client";
import { StatusBadge } from "../../ui/Badge";
import { ConfirmDialog } from "../../ui/Confirm";
import { ErrorNote, Loading } from "../../ui/states";
import { resolveBug, useBugById, useDuplicates, useMarkDuplicate, useSimilar, useUnmarkDuplicate } from "./api";

/** "Similar bugs": look-alikes with the reason, the failure's report count, and merging
 * (mark as duplicate of…, undo; a canonical bug lists its duplicates). */
export function SimilarPanel({ bug, canWrite }: { bug: Bug; canWrite: boolean }) {
  const similar = useSimilar(bug.id);
  const count = similar.data?.same_failure_count ?? 0;
  const headId = useId();
  return (
    <section className="panel similar" aria-labelledby={headId} data-testid="similar-panel">
      <h2 id={headId}>Similar bugs</h2>
      {count > 1 && <p className="similar-count">This failure has {count} reports</p>}
      {bug.duplicate_of_id ? <DuplicateOf bug={bug} canWrite={canWrite} /> : <Duplicates bug={bug} />}
      {similar.isError ? (
        <ErrorNote error={similar.error} onRetry={() => similar.refetch()} />
      ) : similar.isPending ? (
        <Loading label="Looking for similar bugs…" />
      ) : similar.data.data.length === 0 ? (
        <p className="muted">No similar bugs found.</p>
      ) : (
        <ul className="similar-list" aria-label="Similar bugs">
          {similar.data.data.map((s) => (
            <li key={s.bug.id} data-testid="similar-item">
              <Link to={`/bugs/${s.bug.id}`} className="similar-link">
                <span className="mono muted">{s.bug.key}</span> {s.bug.title}
              </Link>{" "}
              <StatusBadge status={s.bug.status} />
              <div className="muted small similar-reason">{s.reason}</div>
            </li>
          ))}
        </ul>
      )}
      {canWrite && !bug.duplicate_of_id && <MarkDuplicate bug={bug} candidates={(similar.data?.data ?? []).map((s) => s.bug)} />}
    </section>
  );
}

/** This bug is a duplicate: of which, and (members) undo. */
function DuplicateOf({ bug, canWrite }: { bug: Bug; canWrite: boolean }) {
  const canonical = useBugById(bug.duplicate_of_id);
  const undo = useUnmarkDuplicate(bug.id);
  return (
    <div className="duplicate-of" data-testid="duplicate-of">
      <p>
        Duplicate of{" "}
        <Link to={`/bugs/${bug.duplicate_of_id}`} className="mono">
          {canonical.data?.key ?? "the canonical bug"}
        </Link>
        {canonical.data && <span className="muted"> {canonical.data.title}</span>}
      </p>
      {canWrite && (
        <button type="button" className="btn btn-small" disabled={undo.isPending} onClick={() => undo.mutate()}>
          {undo.isPending ? "Undoing…" : "Undo"}
        </button>
      )}
      {undo.isError && <ErrorNote error={undo.error} />}
    </div>
  );
}

/** A canonical bug: the reports marked duplicates of it. */
function Duplicates({ bug }: { bug: Bug }) {
  const dups = useDuplicates(bug.id, true);
  if (dups.isError) return <ErrorNote error={dups.error} onRetry={() => dups.refetch()} />;
  const rows = dups.data?.data ?? [];
  if (rows.length === 0) return null;
  const n = dups.data?.next_cursor ? `${rows.length}+` : String(rows.length);
  return (
    <div className="duplicates" data-testid="duplicates">
      <h3>
        {n} duplicate{rows.length === 1 && !dups.data?.next_cursor ? "" : "s"}
      </h3>
      <ul className="similar-list" aria-label="Duplicates">
        {rows.map((d) => (
          <li key={d.id}>
            <Link to={`/bugs/${d.id}`}>
              <span className="mono muted">{d.key}</span> {d.title}
            </Link>
          </li>
        ))}
      </ul>
    </div>
  );
}

/** "Mark as duplicate of…": pick a similar bug or type a key/id, confirm, then the API call. */
function MarkDuplicate({ bug, candidates }: { bug: Bug; candidates: Bug[] }) {
  const [open, setOpen] = useState(false);
  const [picked, setPicked] = useState("");
  const [typed, setTyped] = useState("");
  const [target, setTarget] = useState<Bug | null>(null);
  const [finding, setFinding] = useState(false);
  const [findError, setFindError] = useState<unknown>(null);
  const mark = useMarkDuplicate(bug.id);
  const id = useId();

  const close = () => {
    setOpen(false);
    setPicked("");
    setTyped("");
    setFindError(null);
  };
  const onContinue = async (e: FormEvent) => {
    e.preventDefault();
    setFindError(null);
    mark.reset();
    if (typed.trim()) {
      setFinding(true);
      try {
        setTarget(await resolveBug(typed, bug.workspace_id));
      } catch (err) {
        setFindError(err);
      } finally {
        setFinding(false);
      }
    } else {
      const hit = candidates.find((c) => c.id === picked);
      if (hit) setTarget(hit);
    }
  };

  if (!open)
    return (
      <div className="row">
        <button type="button" className="btn btn-small" onClick={() => setOpen(true)}>
          Mark as duplicate of…
        </button>
        {mark.isError && <ErrorNote error={mark.error} />}
      </div>
    );
  return (
    <>
      <form className="stack mark-duplicate" onSubmit={onContinue} aria-label="Mark as duplicate">
        {candidates.length > 0 && (
          <fieldset className="stack">
            <legend>Duplicate of a similar bug</legend>
            {candidates.map((c) => (
              <label key={c.id} className="row">
                <input
                  type="radio"
                  name={`${id}-pick`}
                  value={c.id}
                  checked={picked === c.id}
                  onChange={() => {
                    setPicked(c.id);
                    setTyped("");
                  }}
                />
                <span>
                  <span className="mono">{c.key}</span> {c.title}
                </span>
              </label>
            ))}
          </fieldset>
        )}
        <label className="stack">
          <span>{candidates.length > 0 ? "Or type a bug key or id" : "Bug key or id"}</span>
          <input
            className="input"
            value={typed}
            placeholder="APP-12"
            autoComplete="off"
            onChange={(e) => {
              setTyped(e.target.value);
              if (e.target.value) setPicked("");
            }}
          />
        </label>
        {findError != null && <ErrorNote error={findError} />}
        {mark.isError && <ErrorNote error={mark.error} />}
        <div className="row">
          <button type="submit" className="btn btn-primary btn-small" disabled={finding || (!typed.trim() && !picked)}>
            {finding ? "Finding…" : "Continue"}
          </button>
          <button type="button" className="btn btn-small" onClick={close}>
            Cancel
          </button>
        </div>
      </form>
      {target && (
        <ConfirmDialog
          title={`Mark ${bug.key} as a duplicate?`}
          confirmLabel="Mark as duplicate"
          busy={mark.isPending}
          onCancel={() => setTarget(null)}
          onConfirm={() =>
            mark.mutate(target.id, {
              onSuccess: () => {
                setTarget(null);
                close();
              },
              onError: () => setTarget(null),
            })
          }
        >
          <p>
            {bug.key} becomes a duplicate of <strong className="mono">{target.key}</strong> ({target.title}); its status
            becomes Duplicate. Undo restores it.
          </p>
        </ConfirmDialog>
      )}
    </>
  );
}
