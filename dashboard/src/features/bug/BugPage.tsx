import { useEffect, useMemo, useState, type ReactNode } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { download, type Bug } from "../../api/client";
import { memberName, rememberWorkspace, useMe, useMembers, useWorkspaces } from "../../app/workspace";
import { STATUS_LABEL, StatusBadge } from "../../ui/Badge";
import { CaptureTimeline, captureZero, useVideoClock } from "../../ui/CaptureTimeline";
import { ConsoleViewer } from "../../ui/ConsoleViewer";
import { EnvironmentTable, MetadataTable } from "../../ui/Environment";
import { Markdown } from "../../ui/Markdown";
import { MediaGallery } from "../../ui/MediaGallery";
import { NetworkViewer } from "../../ui/NetworkViewer";
import { ErrorNote, Loading, PageError } from "../../ui/states";
import { age, fullTime } from "../../ui/time";
import { EDITABLE_STATUSES, PRIORITIES, SEVERITIES } from "../inbox/filters";
import { fixPrompt, useActivity, useBug, useComments, useDeleteBug, useLogs, useMedia, useNetwork, useUpdateBug, type BugChanges } from "./api";
import { copyText, SharePanel } from "./SharePanel";
import { SimilarPanel } from "./SimilarPanel";
import { Timeline } from "./Timeline";
import { TrackerPanel } from "./TrackerPanel";

export default function BugPage() {
  const { bugId = "" } = useParams();
  const bug = useBug(bugId);
  if (bug.isPending) return <Loading label="Loading the report…" />;
  if (bug.isError) return <PageError error={bug.error} what="bug" onRetry={() => bug.refetch()} />;
  return <BugView bug={bug.data} />;
}

function BugView({ bug }: { bug: Bug }) {
  const id = bug.id;
  const workspaces = useWorkspaces();
  const role = workspaces.data?.find((w) => w.id === bug.workspace_id)?.role ?? "viewer";
  const canWrite = role !== "viewer";
  const isAdmin = role === "admin" || role === "owner";
  const me = useMe();
  const members = useMembers(bug.workspace_id);
  const logs = useLogs(id, bug.log_count > 0);
  const network = useNetwork(id, bug.network_count > 0);
  const media = useMedia(id, true);
  const comments = useComments(id, true);
  const activity = useActivity(id, true);
  const update = useUpdateBug(id);
  useEffect(() => rememberWorkspace(bug.workspace_id), [bug.workspace_id]);
  // The first playable recording plays next to the timeline (and leaves the gallery).
  const video = media.data?.find((m) => m.status === "ready" && !!m.download_url && (m.kind === "video" || m.content_type.startsWith("video/"))) ?? null;
  const gallery = (media.data ?? []).filter((m) => m.id !== video?.id);
  const clock = useVideoClock();
  const zero = useMemo(() => captureZero(logs.data, network.data, bug.created_at), [logs.data, network.data, bug.created_at]);
  const [chosenTab, setTab] = useState<"timeline" | "console" | "network" | null>(null);
  const tab = chosenTab ?? (video ? "timeline" : bug.log_count || !bug.network_count ? "console" : "network");

  const save = (changes: BugChanges) => update.mutate(changes);

  return (
    <main className="bug-page">
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link to={`/?ws=${bug.workspace_id}`}>Inbox</Link> <span aria-hidden="true">/</span> <span className="mono">{bug.key}</span>
      </nav>
      <header className="bug-head">
        <TitleEditor bug={bug} canWrite={canWrite} onSave={(title) => save({ title })} />
        {update.isError && (
          <div data-testid="update-error">
            <ErrorNote error={update.error} />
          </div>
        )}
      </header>
      <div className="bug-layout">
        <div className="bug-main">
          <section className="panel">
            <h2>Description</h2>
            <DescriptionEditor bug={bug} canWrite={canWrite} onSave={(description) => save({ description })} />
            {bug.repro_steps && (
              <>
                <h3>Steps to reproduce</h3>
                <Markdown text={bug.repro_steps} />
              </>
            )}
          </section>
          {media.isError && <ErrorNote error={media.error} />}
          {gallery.length > 0 && <MediaGallery media={gallery} />}
          <section className="panel captures">
            {video && (
              <div className="recording">
                <video ref={clock.ref} className="video" controls preload="auto" src={video.download_url ?? undefined} aria-label={`Recording: ${video.filename}`} />
              </div>
            )}
            <div role="tablist" aria-label="Captured data" className="tabs">
              <button type="button" role="tab" aria-selected={tab === "timeline"} onClick={() => setTab("timeline")}>
                Timeline
              </button>
              <button type="button" role="tab" aria-selected={tab === "console"} onClick={() => setTab("console")}>
                Console ({bug.log_count})
              </button>
              <button type="button" role="tab" aria-selected={tab === "network"} onClick={() => setTab("network")}>
                Network ({bug.network_count}
                {bug.failed_request_count ? `, ${bug.failed_request_count} failed` : ""})
              </button>
            </div>
            <div role="tabpanel">
              {tab === "timeline" ? (
                logs.isError || network.isError ? (
                  <ErrorNote error={logs.error ?? network.error} onRetry={() => void Promise.all([logs.refetch(), network.refetch()])} />
                ) : logs.isLoading || network.isLoading ? (
                  <Loading />
                ) : (
                  <CaptureTimeline logs={logs.data ?? []} network={network.data ?? []} zero={zero} video={video ? clock : null} />
                )
              ) : tab === "console" ? (
                logs.isError ? (
                  <ErrorNote error={logs.error} onRetry={() => logs.refetch()} />
                ) : logs.isLoading ? (
                  <Loading />
                ) : (
                  <ConsoleViewer logs={logs.data ?? []} since={zero} />
                )
              ) : network.isError ? (
                <ErrorNote error={network.error} onRetry={() => network.refetch()} />
              ) : network.isLoading ? (
                <Loading />
              ) : (
                <NetworkViewer entries={network.data ?? []} since={zero} />
              )}
            </div>
          </section>
          {comments.isError && <ErrorNote error={comments.error} />}
          {activity.isError && <ErrorNote error={activity.error} />}
          <Timeline
            bugId={id}
            comments={comments.data ?? []}
            activity={activity.data ?? []}
            members={members.data ?? []}
            meId={me.data?.id ?? null}
            canWrite={canWrite}
            isAdmin={isAdmin}
          />
        </div>
        <aside className="bug-side" aria-label="Details">
          <section className="panel fields">
            <Field label="Status">
              {bug.status === "duplicate" ? (
                // Set only by "Mark as duplicate of…"; Undo (in Similar bugs) gives the status back.
                <span data-testid="status-readonly">
                  <span className="sr-only">Status: </span>
                  <StatusBadge status={bug.status} />
                </span>
              ) : (
                <select aria-label="Status" className="input" value={bug.status} disabled={!canWrite} onChange={(e) => save({ status: e.target.value as Bug["status"] })}>
                  {EDITABLE_STATUSES.map((s) => (
                    <option key={s} value={s}>
                      {STATUS_LABEL[s]}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <Field label="Severity">
              <select aria-label="Severity" className="input" value={bug.severity} disabled={!canWrite} onChange={(e) => save({ severity: e.target.value as Bug["severity"] })}>
                {SEVERITIES.map((s) => (
                  <option key={s} value={s}>
                    {s}
                  </option>
                ))}
              </select>
            </Field>
            <Field label="Priority">
              <select aria-label="Priority" className="input" value={bug.priority} disabled={!canWrite} onChange={(e) => save({ priority: e.target.value as Bug["priority"] })}>
                {PRIORITIES.map((s) => (
                  <option key={s} value={s}>
                    {s}
                  </option>
                ))}
              </select>
            </Field>
            <Field label="Assignee">
              <select
                aria-label="Assignee"
                className="input"
                value={bug.assignee_id ?? ""}
                disabled={!canWrite}
                onChange={(e) => save({ assignee_id: e.target.value || null })}
              >
                <option value="">Nobody</option>
                {(members.data ?? []).map((m) => (
                  <option key={m.user_id} value={m.user_id}>
                    {memberName(m)}
                  </option>
                ))}
              </select>
            </Field>
            <Field label="Labels">
              <LabelsEditor labels={bug.labels} canWrite={canWrite} onSave={(labels) => save({ labels })} />
            </Field>
            <dl className="kv">
              <dt>Key</dt>
              <dd className="mono">{bug.key}</dd>
              <dt>Reporter</dt>
              <dd>{[bug.reporter.name, bug.reporter.email].filter(Boolean).join(" · ") || "Unknown"}</dd>
              <dt>Source</dt>
              <dd>{bug.source}</dd>
              <dt>Reported</dt>
              <dd title={fullTime(bug.created_at)}>{age(bug.created_at)}</dd>
              {bug.page_url && (
                <>
                  <dt>Page</dt>
                  <dd className="break">
                    <a href={bug.page_url} target="_blank" rel="noopener noreferrer nofollow">
                      {bug.page_url}
                    </a>
                  </dd>
                </>
              )}
              {bug.external_issue && typeof bug.external_issue.url === "string" && (
                <>
                  <dt>Tracker</dt>
                  <dd>
                    <a href={bug.external_issue.url} target="_blank" rel="noopener noreferrer">
                      {String(bug.external_issue.key ?? bug.external_issue.url)}
                    </a>
                  </dd>
                </>
              )}
            </dl>
          </section>
          <SimilarPanel bug={bug} canWrite={canWrite} />
          <section className="panel">
            <h2>Environment</h2>
            <EnvironmentTable env={bug.environment} />
            <h3>Custom metadata</h3>
            <MetadataTable data={bug.metadata} />
          </section>
          {canWrite && <SharePanel bugId={id} />}
          {canWrite && <TrackerPanel bug={bug} />}
          <Actions bug={bug} isAdmin={isAdmin} />
        </aside>
      </div>
    </main>
  );
}

function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="field">
      <span className="field-label" aria-hidden="true">
        {label}
      </span>
      {children}
    </div>
  );
}

function TitleEditor({ bug, canWrite, onSave }: { bug: Bug; canWrite: boolean; onSave: (t: string) => void }) {
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState(bug.title);
  if (!editing)
    return (
      <div className="title-row">
        <h1 className="bug-title-h">
          <span className="mono muted">{bug.key}</span> {bug.title}
        </h1>
        {canWrite && (
          <button
            type="button"
            className="btn btn-small btn-ghost"
            onClick={() => {
              setText(bug.title);
              setEditing(true);
            }}
          >
            Edit title
          </button>
        )}
      </div>
    );
  return (
    <form
      className="title-row"
      onSubmit={(e) => {
        e.preventDefault();
        if (text.trim() && text.trim() !== bug.title) onSave(text.trim());
        setEditing(false);
      }}
    >
      <input className="input title-input" aria-label="Title" value={text} onChange={(e) => setText(e.target.value)} autoFocus maxLength={300} />
      <button className="btn btn-primary btn-small" type="submit">
        Save
      </button>
      <button className="btn btn-small" type="button" onClick={() => setEditing(false)}>
        Cancel
      </button>
    </form>
  );
}

function DescriptionEditor({ bug, canWrite, onSave }: { bug: Bug; canWrite: boolean; onSave: (d: string | null) => void }) {
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState(bug.description ?? "");
  if (editing)
    return (
      <form
        className="stack"
        onSubmit={(e) => {
          e.preventDefault();
          onSave(text.trim() ? text : null);
          setEditing(false);
        }}
      >
        <textarea className="input" aria-label="Description" rows={8} value={text} onChange={(e) => setText(e.target.value)} />
        <div className="row">
          <button className="btn btn-primary btn-small" type="submit">
            Save
          </button>
          <button className="btn btn-small" type="button" onClick={() => setEditing(false)}>
            Cancel
          </button>
        </div>
      </form>
    );
  return (
    <>
      {bug.description ? <Markdown text={bug.description} className="description" /> : <p className="muted">No description.</p>}
      {canWrite && (
        <button
          type="button"
          className="btn btn-small btn-ghost"
          onClick={() => {
            setText(bug.description ?? "");
            setEditing(true);
          }}
        >
          Edit description
        </button>
      )}
    </>
  );
}

function LabelsEditor({ labels, canWrite, onSave }: { labels: string[]; canWrite: boolean; onSave: (l: string[]) => void }) {
  const [text, setText] = useState("");
  return (
    <div className="labels-editor">
      <div className="labels">
        {labels.map((l) => (
          <span key={l} className="label">
            {l}
            {canWrite && (
              <button type="button" className="label-x" aria-label={`Remove label ${l}`} onClick={() => onSave(labels.filter((x) => x !== l))}>
                ×
              </button>
            )}
          </span>
        ))}
        {labels.length === 0 && <span className="muted">None</span>}
      </div>
      {canWrite && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            const add = text
              .split(",")
              .map((s) => s.trim())
              .filter(Boolean);
            if (add.length) onSave([...labels, ...add.filter((a) => !labels.includes(a))]);
            setText("");
          }}
        >
          <input className="input small" aria-label="Add a label" placeholder="Add label" value={text} onChange={(e) => setText(e.target.value)} />
        </form>
      )}
    </div>
  );
}

function saveBlob(blob: Blob, name: string) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function Actions({ bug, isAdmin }: { bug: Bug; isAdmin: boolean }) {
  const navigate = useNavigate();
  const del = useDeleteBug(bug.id);
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState<string | null>(null);
  const exportAs = async (format: "json" | "markdown") => {
    setError(null);
    try {
      const r = await download(`/v1/bugs/${bug.id}/export?format=${format}`);
      saveBlob(await r.blob(), `${bug.key}.${format === "json" ? "json" : "md"}`);
    } catch (e) {
      setError(e);
    }
  };
  const prompt = async () => {
    setError(null);
    try {
      const ok = await copyText(await fixPrompt(bug.id));
      setNote(ok ? "Fix prompt copied" : "Could not write to the clipboard");
    } catch (e) {
      setError(e);
    }
  };
  const actions = useMemo(() => ["json", "markdown"] as const, []);
  return (
    <section className="panel actions" aria-label="Actions">
      <h2>Actions</h2>
      <div className="row wrap">
        {actions.map((f) => (
          <button key={f} type="button" className="btn btn-small" onClick={() => exportAs(f)}>
            Export {f === "json" ? "JSON" : "Markdown"}
          </button>
        ))}
        <button type="button" className="btn btn-small" onClick={prompt}>
          Copy fix prompt
        </button>
        {isAdmin && (
          <button
            type="button"
            className="btn btn-small btn-danger"
            disabled={del.isPending}
            onClick={() => {
              if (window.confirm(`Delete ${bug.key}? This cannot be undone.`))
                del.mutate(undefined, { onSuccess: () => navigate(`/?ws=${bug.workspace_id}`, { replace: true }) });
            }}
          >
            Delete bug
          </button>
        )}
      </div>
      {note && <p role="status">{note}</p>}
      {error != null && <ErrorNote error={error} />}
      {del.isError && <ErrorNote error={del.error} />}
    </section>
  );
}
