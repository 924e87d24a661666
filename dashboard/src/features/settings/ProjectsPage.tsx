import { useState, type FormEvent } from "react";
import type { Project } from "../../api/client";
import { useProjects } from "../../app/workspace";
import { ConfirmDialog, CopyButton } from "../../ui/Confirm";
import { Empty, ErrorNote, Loading } from "../../ui/states";
import { age, fullTime } from "../../ui/time";
import {
  atLeast,
  useCreateProject,
  useCreateWidgetKey,
  useDeleteProject,
  useMcpConfig,
  useRevokeWidgetKey,
  useRotateWidgetKey,
  useUpdateProject,
  useUpdateWidgetKey,
  useWidgetKeys,
  type WidgetKey,
  type WidgetKeyCreated,
} from "./api";
import { originError, originLines } from "./origins";
import { useSettings } from "./SettingsLayout";

const KEY_RE = /^[A-Z][A-Z0-9]{1,9}$/;
const NAME_RE = /^[A-Za-z0-9_.-]+$/;

function names(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

export function ProjectsPage() {
  const { workspace, role } = useSettings();
  const projects = useProjects(workspace.id);
  const isAdmin = atLeast(role, "admin");
  return (
    <main className="admin-page" aria-labelledby="projects-h">
      <h1 id="projects-h">Projects &amp; widget keys</h1>
      {!isAdmin && <p className="hint">Only admins and owners change projects and widget keys; you can see them.</p>}
      {isAdmin && <CreateProject workspaceId={workspace.id} />}
      {projects.isError ? (
        <ErrorNote error={projects.error} onRetry={() => projects.refetch()} />
      ) : projects.isPending ? (
        <Loading label="Loading projects…" />
      ) : projects.data.length === 0 ? (
        <Empty title="No projects yet">{isAdmin ? "Create one above: reports are filed into a project." : "An admin creates projects."}</Empty>
      ) : (
        projects.data.map((p) => <ProjectPanel key={p.id} project={p} workspaceId={workspace.id} isAdmin={isAdmin} />)
      )}
    </main>
  );
}

function CreateProject({ workspaceId }: { workspaceId: string }) {
  const create = useCreateProject(workspaceId);
  const [name, setName] = useState("");
  const [key, setKey] = useState("");
  const keyBad = key !== "" && !KEY_RE.test(key);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (keyBad || !name.trim()) return;
    create.mutate({ name: name.trim(), key }, { onSuccess: () => (setName(""), setKey("")) });
  };
  return (
    <form className="panel row wrap" aria-label="Create a project" onSubmit={submit}>
      <label className="stack-inline">
        Project name
        <input className="input" required value={name} onChange={(e) => setName(e.target.value)} maxLength={100} />
      </label>
      <label className="stack-inline">
        Key (prefixes bug keys: WEB-42)
        <input
          className="input mono"
          required
          value={key}
          onChange={(e) => setKey(e.target.value.toUpperCase())}
          aria-invalid={keyBad}
          aria-describedby="project-key-help"
          maxLength={10}
        />
      </label>
      <button type="submit" className="btn btn-primary" disabled={create.isPending || keyBad}>
        Create project
      </button>
      <p id="project-key-help" className={keyBad ? "field-error" : "hint"}>
        2–10 uppercase letters or digits, starting with a letter. Fixed after creation.
      </p>
      {create.isError && <ErrorNote error={create.error} />}
    </form>
  );
}

function ProjectPanel({ project, workspaceId, isAdmin }: { project: Project; workspaceId: string; isAdmin: boolean }) {
  const update = useUpdateProject(workspaceId, project.id);
  const del = useDeleteProject(workspaceId, project.id);
  const [name, setName] = useState(project.name);
  const [headers, setHeaders] = useState(project.redact_headers.join(", "));
  const [params, setParams] = useState(project.redact_params.join(", "));
  const [deleting, setDeleting] = useState(false);
  const [saved, setSaved] = useState(false);
  const bad = [...names(headers), ...names(params)].filter((n) => !NAME_RE.test(n));
  const save = (e: FormEvent) => {
    e.preventDefault();
    setSaved(false);
    update.mutate(
      { name: name.trim(), redact_headers: names(headers), redact_params: names(params) },
      { onSuccess: () => setSaved(true) },
    );
  };
  return (
    <section className="panel" aria-label={`Project ${project.key}`} data-testid="project">
      <h2>
        <span className="mono muted">{project.key}</span> {project.name}
      </h2>
      {isAdmin ? (
        <form className="stack" onSubmit={save} aria-label={`Settings of ${project.key}`}>
          <label className="stack-inline">
            Name
            <input className="input" value={name} onChange={(e) => setName(e.target.value)} maxLength={100} required />
          </label>
          <label className="stack-inline">
            Extra headers to redact (besides the built-in ones: Authorization, Cookie…)
            <input className="input mono" value={headers} onChange={(e) => setHeaders(e.target.value)} placeholder="X-Session, X-Api-Key" />
          </label>
          <label className="stack-inline">
            Extra query, body and JSON parameter names to redact
            <input className="input mono" value={params} onChange={(e) => setParams(e.target.value)} placeholder="ssn, card_number" />
          </label>
          {bad.length > 0 && <p className="field-error">Names may hold only letters, digits, “_”, “.” and “-”: {bad.join(", ")}</p>}
          <div className="row">
            <button type="submit" className="btn btn-primary btn-small" disabled={update.isPending || bad.length > 0}>
              Save project
            </button>
            {saved && !update.isPending && <span role="status" className="field-ok">Saved. Applies to reports filed from now on.</span>}
            <span className="spacer" />
            <button type="button" className="btn btn-small btn-danger" onClick={() => setDeleting(true)}>
              Delete project
            </button>
          </div>
          {update.isError && <ErrorNote error={update.error} />}
        </form>
      ) : (
        <dl className="kv">
          <dt>Redacted headers</dt>
          <dd>{project.redact_headers.join(", ") || "built-in only"}</dd>
          <dt>Redacted parameters</dt>
          <dd>{project.redact_params.join(", ") || "built-in only"}</dd>
        </dl>
      )}
      {del.isError && <ErrorNote error={del.error} />}
      {deleting && (
        <ConfirmDialog
          title={`Delete project ${project.key}?`}
          confirmLabel="Delete project"
          typeToConfirm={project.key}
          busy={del.isPending}
          onCancel={() => setDeleting(false)}
          onConfirm={() => del.mutate(undefined, { onSettled: () => setDeleting(false) })}
        >
          <p>
            This deletes <strong>{project.name}</strong> and everything in it: <strong>all its bugs</strong> with their comments, activity, console
            and network captures, <strong>their screenshots, videos and attachments</strong> (the stored bytes), its share links and its widget keys
            (widgets using them stop working). It can't be undone.
          </p>
        </ConfirmDialog>
      )}
      {isAdmin ? <WidgetKeys project={project} /> : <p className="hint">Widget keys are managed by admins.</p>}
    </section>
  );
}

function Snippets({ created }: { created: WidgetKeyCreated }) {
  const config = useMcpConfig();
  const api = config.data?.api_url ?? `${window.location.origin}/v1`;
  const base = api.replace(/\/v1$/, "");
  const script = `<script src="${base}/widget.js"\n        data-public-key="${created.key}"\n        data-api-base-url="${api}"\n        defer></script>`;
  const react = `import { BugPortWidget } from "@bugport/widget/react";\n\n<BugPortWidget publicKey="${created.key}" apiBaseUrl="${api}" />`;
  return (
    <div className="secret-box" data-testid="widget-key-created">
      <p>
        Key <strong>{created.label}</strong> created. A widget key is public (it ends up in your page's source), but this full value is only shown now;
        the list shows <span className="mono">{created.key_hint}</span> from here on.
      </p>
      <div className="row">
        <input className="input mono grow" readOnly aria-label="Widget key" value={created.key} onFocus={(e) => e.target.select()} />
        <CopyButton text={created.key} label="Copy key" />
      </div>
      <h4>Script tag</h4>
      <pre data-testid="snippet-script">{script}</pre>
      <CopyButton text={script} label="Copy script tag" />
      <h4>React</h4>
      <pre data-testid="snippet-react">{react}</pre>
      <CopyButton text={react} label="Copy React snippet" />
    </div>
  );
}

const GRACE: [string, number][] = [
  ["Stop the old key now", 0],
  ["Keep the old key 1 hour", 1],
  ["Keep the old key 1 day", 24],
  ["Keep the old key 7 days", 24 * 7],
  ["Keep the old key 30 days", 24 * 30],
];

function WidgetKeys({ project }: { project: Project }) {
  const keys = useWidgetKeys(project.id, true);
  const create = useCreateWidgetKey(project.id);
  const update = useUpdateWidgetKey(project.id);
  const rotate = useRotateWidgetKey(project.id);
  const revoke = useRevokeWidgetKey(project.id);
  const [label, setLabel] = useState("");
  const [origins, setOrigins] = useState("");
  const [created, setCreated] = useState<WidgetKeyCreated | null>(null);
  const [rotating, setRotating] = useState<WidgetKey | null>(null);
  const [grace, setGrace] = useState(24);
  const [revoking, setRevoking] = useState<WidgetKey | null>(null);
  const entries = originLines(origins);
  const problems = entries.map((o) => [o, originError(o)] as const).filter(([, e]) => e);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (problems.length || !entries.length) return;
    create.mutate(
      { label: label.trim(), allowed_origins: entries, enabled: true },
      {
        onSuccess: (k) => {
          setCreated(k);
          setLabel("");
          setOrigins("");
        },
      },
    );
  };
  const live = (keys.data ?? []).filter((k) => !k.expires_at || Date.parse(k.expires_at) > Date.now());
  return (
    <div className="widget-keys">
      <h3>Widget keys</h3>
      {keys.isError ? (
        <ErrorNote error={keys.error} onRetry={() => keys.refetch()} />
      ) : keys.isPending ? (
        <Loading label="Loading keys…" />
      ) : live.length === 0 ? (
        <p className="muted">No widget keys yet: create one to put the widget on a site.</p>
      ) : (
        <table className="table" aria-label={`Widget keys of ${project.key}`}>
          <thead>
            <tr>
              <th scope="col">Label</th>
              <th scope="col">Key</th>
              <th scope="col">Allowed origins</th>
              <th scope="col">Enabled</th>
              <th scope="col">Last used</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {live.map((k) => (
              <tr key={k.id} data-testid="widget-key-row">
                <td>{k.label}</td>
                <td className="mono">
                  {k.key_hint}
                  {k.expires_at && (
                    <div className="muted small" title={fullTime(k.expires_at)}>
                      rotated; stops {age(k.expires_at)}
                    </div>
                  )}
                </td>
                <td className="mono small">{k.allowed_origins.join(" ")}</td>
                <td>
                  <label className="chip">
                    <input
                      type="checkbox"
                      checked={k.enabled}
                      disabled={update.isPending}
                      onChange={(e) => update.mutate({ keyId: k.id, body: { enabled: e.target.checked } })}
                      aria-label={`Enabled: ${k.label}`}
                    />
                    {k.enabled ? "on" : "off"}
                  </label>
                </td>
                <td className="muted" title={k.last_used_at ? fullTime(k.last_used_at) : undefined}>
                  {k.last_used_at ? age(k.last_used_at) : "never"}
                </td>
                <td className="row">
                  {!k.rotated_to_id && (
                    <button type="button" className="btn btn-small" onClick={() => setRotating(k)}>
                      Rotate
                    </button>
                  )}
                  <button type="button" className="btn btn-small btn-danger" onClick={() => setRevoking(k)}>
                    Revoke
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {(update.isError || rotate.isError || revoke.isError) && <ErrorNote error={update.error ?? rotate.error ?? revoke.error} />}
      {created && <Snippets created={created} />}
      <form className="stack" onSubmit={submit} aria-label={`New widget key for ${project.key}`}>
        <h4>New widget key</h4>
        <label className="stack-inline">
          Label
          <input className="input" required value={label} onChange={(e) => setLabel(e.target.value)} maxLength={100} placeholder="Marketing site" />
        </label>
        <label className="stack-inline">
          Allowed origins (one per line)
          <textarea
            className="input mono"
            rows={3}
            value={origins}
            onChange={(e) => setOrigins(e.target.value)}
            aria-invalid={problems.length > 0}
            aria-describedby={`origins-help-${project.id}`}
            placeholder={"https://app.example.com\nhttps://*.example.com"}
          />
        </label>
        <div id={`origins-help-${project.id}`} aria-live="polite">
          {problems.length > 0 ? (
            <ul className="field-error" data-testid="origin-errors">
              {problems.map(([o, err]) => (
                <li key={o}>
                  <code>{o}</code>: {err}
                </li>
              ))}
            </ul>
          ) : entries.length > 0 ? (
            <p className="field-ok">
              {entries.length} origin{entries.length === 1 ? "" : "s"} look{entries.length === 1 ? "s" : ""} right.
            </p>
          ) : null}
          <p className="hint">
            The browser's <code>Origin</code> must match exactly: <code>scheme://host[:port]</code> (http or https, no path). A wildcard{" "}
            <code>https://*.example.com</code> allows any subdomain (not <code>example.com</code> itself) with the same scheme and port. Sandboxed
            iframes and <code>file:</code> pages are always refused.
          </p>
        </div>
        <div>
          <button type="submit" className="btn btn-primary btn-small" disabled={create.isPending || problems.length > 0 || entries.length === 0}>
            Create widget key
          </button>
        </div>
        {create.isError && <ErrorNote error={create.error} />}
      </form>
      {rotating && (
        <ConfirmDialog
          title={`Rotate ${rotating.label}?`}
          confirmLabel="Rotate key"
          busy={rotate.isPending}
          onCancel={() => setRotating(null)}
          onConfirm={() => {
            const until = grace ? new Date(Date.now() + grace * 3600_000).toISOString() : null;
            rotate.mutate(
              { keyId: rotating.id, graceUntil: until },
              {
                onSuccess: (k) => {
                  setCreated(k);
                  setRotating(null);
                },
                onError: () => setRotating(null),
              },
            );
          }}
        >
          <p>
            A new key with the same label, origins and state replaces <span className="mono">{rotating.key_hint}</span>. Update your site with the new
            key before the old one stops.
          </p>
          <label className="stack-inline">
            Grace period
            <select className="input" value={grace} onChange={(e) => setGrace(Number(e.target.value))}>
              {GRACE.map(([l, h]) => (
                <option key={h} value={h}>
                  {l}
                </option>
              ))}
            </select>
          </label>
        </ConfirmDialog>
      )}
      {revoking && (
        <ConfirmDialog
          title={`Revoke ${revoking.label}?`}
          confirmLabel="Revoke key"
          busy={revoke.isPending}
          onCancel={() => setRevoking(null)}
          onConfirm={() => revoke.mutate(revoking.id, { onSettled: () => setRevoking(null) })}
        >
          <p>
            <span className="mono">{revoking.key_hint}</span> stops working at once: widgets on {revoking.allowed_origins.join(", ")} can no longer
            file reports. Reports already filed stay.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}
