import { useEffect, useState, type FormEvent } from "react";
import { useLocation } from "react-router";
import type { Project } from "../../api/client";
import { useProjects } from "../../app/workspace";
import { ConfirmDialog, CopyButton } from "../../ui/Confirm";
import { Empty, ErrorNote, Loading } from "../../ui/states";
import { age, fullTime } from "../../ui/time";
import {
  atLeast,
  useConnectors,
  useDeleteTarget,
  useDisconnect,
  usePutTarget,
  useStartOAuth,
  useTestConnector,
  useTrackerTargets,
  useTrackerWebhookSecret,
  type Connection,
  type ProviderId,
  type ProviderInfo,
  type TrackerTarget,
  type TrackerWebhook,
} from "./api";
import { useSettings } from "./SettingsLayout";
import { WebhooksSection } from "./WebhooksSection";

export const PROVIDER_NAMES: Record<ProviderId, string> = { github: "GitHub", linear: "Linear", jira: "Jira" };

// Client-side mirrors of the API's checks (it checks again and its message is shown).
const REPO_RE = /^[A-Za-z0-9][A-Za-z0-9-]{0,38}\/[A-Za-z0-9._-]{1,100}$/;
const TEAM_RE = /^[A-Za-z0-9-]{1,100}$/;
const JIRA_KEY_RE = /^[A-Z][A-Z0-9_]{0,19}$/;

const WHERE: Record<ProviderId, string> = {
  github: "the repository's Settings → Webhooks (content type application/json)",
  linear: "Linear's Settings → API → Webhooks",
  jira: "Jira's System → WebHooks (an admin webhook with a secret)",
};

export function connectionLabel(c: Connection): string {
  return `${PROVIDER_NAMES[c.provider]} · ${c.account_name}${c.site_name ? ` (${c.site_name})` : ""}`;
}

export function targetText(t: TrackerTarget): string {
  if (t.provider === "github") return t.repo ?? "";
  if (t.provider === "linear") return `team ${t.team_id ?? ""}`;
  return `${t.project_key ?? ""} (${t.issue_type ?? "Bug"})`;
}

type Connected = { connected?: { provider: ProviderId; account: string; id: string } } | null;

/** Trackers (GitHub, Linear, Jira): the server's providers, this workspace's connections, each
 * project's target, status sync back from the tracker; and the outgoing webhooks. Admins connect
 * and change things, members test connections, viewers read. */
export function IntegrationsPage() {
  const { workspace, role } = useSettings();
  const catalogue = useConnectors(workspace.id);
  const projects = useProjects(workspace.id);
  const projectList = projects.data ?? [];
  const targetQueries = useTrackerTargets(projectList.map((p) => p.id));
  const targets = new Map<string, TrackerTarget>();
  targetQueries.forEach((q, i) => {
    if (q.data && projectList[i]) targets.set(projectList[i].id, q.data);
  });
  const targetsLoading = projects.isPending || targetQueries.some((q) => q.isPending);
  const isAdmin = atLeast(role, "admin");
  const canUse = atLeast(role, "member");
  const location = useLocation();
  const connected = (location.state as Connected)?.connected;
  const [secret, setSecret] = useState<{ conn: Connection; hook: TrackerWebhook } | null>(null);

  return (
    <main className="admin-page" aria-labelledby="integrations-h">
      <h1 id="integrations-h">Integrations</h1>
      <p className="hint">
        Push bugs into GitHub, Linear or Jira as issues; closed and reopened issues update their bugs.{" "}
        {isAdmin
          ? "As an admin you connect trackers and choose where each project's bugs go."
          : canUse
            ? "Admins connect trackers and choose targets; you can test a connection and push bugs from their pages."
            : "Admins connect trackers and choose targets; you can see them."}
      </p>
      {connected && (
        <p role="status" className="notice" data-testid="connected-notice">
          Connected {PROVIDER_NAMES[connected.provider] ?? connected.provider} as <strong>{connected.account}</strong>.
          {isAdmin && " Now pick a target for your projects below."}
        </p>
      )}
      {catalogue.isError ? (
        <ErrorNote error={catalogue.error} onRetry={() => catalogue.refetch()} />
      ) : catalogue.isPending ? (
        <Loading label="Loading trackers…" />
      ) : (
        <>
          <section className="panel" aria-labelledby="providers-h">
            <h2 id="providers-h">Trackers</h2>
            <ul className="provider-list">
              {catalogue.data.providers.map((p) => (
                <ProviderItem key={p.id} provider={p} workspaceId={workspace.id} isAdmin={isAdmin} />
              ))}
            </ul>
          </section>
          <section className="panel" aria-labelledby="connections-h">
            <h2 id="connections-h">Connections</h2>
            {catalogue.data.connections.length === 0 ? (
              <Empty title="No trackers connected yet">
                {isAdmin ? "Connect one above: you sign in at the tracker and come back here." : "An admin of this workspace connects trackers."}
              </Empty>
            ) : (
              <table className="table" aria-label="Connections">
                <thead>
                  <tr>
                    <th scope="col">Tracker</th>
                    <th scope="col">Account</th>
                    <th scope="col">Status</th>
                    <th scope="col">Last test</th>
                    <th scope="col">Projects</th>
                    <th scope="col">
                      <span className="sr-only">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {catalogue.data.connections.map((c) => (
                    <ConnectionRow
                      key={c.id}
                      conn={c}
                      provider={catalogue.data.providers.find((p) => p.id === c.provider)}
                      workspaceId={workspace.id}
                      canUse={canUse}
                      isAdmin={isAdmin}
                      projects={projectList.filter((p) => targets.get(p.id)?.connector_id === c.id)}
                      targets={targets}
                      targetsLoading={targetsLoading}
                      onSecret={(hook) => setSecret({ conn: c, hook })}
                    />
                  ))}
                </tbody>
              </table>
            )}
          </section>
          {secret && <SecretBox conn={secret.conn} hook={secret.hook} onDone={() => setSecret(null)} />}
          <section className="panel" aria-labelledby="targets-h">
            <h2 id="targets-h">Where each project's bugs go</h2>
            {projects.isError ? (
              <ErrorNote error={projects.error} onRetry={() => projects.refetch()} />
            ) : projects.isPending ? (
              <Loading label="Loading projects…" />
            ) : projectList.length === 0 ? (
              <Empty title="No projects yet">Bugs are filed into projects; an admin creates them under Projects.</Empty>
            ) : (
              projectList.map((p, i) => {
                const q = targetQueries[i];
                return q?.isError ? (
                  <div key={p.id}>
                    <h3>
                      <span className="mono muted">{p.key}</span> {p.name}
                    </h3>
                    <ErrorNote error={q.error} onRetry={() => q.refetch()} />
                  </div>
                ) : !q || q.isPending ? (
                  <Loading key={p.id} label={`Loading ${p.key}'s target…`} />
                ) : (
                  <ProjectTarget
                    key={p.id}
                    project={p}
                    target={q.data ?? null}
                    connections={catalogue.data.connections}
                    isAdmin={isAdmin}
                  />
                );
              })
            )}
          </section>
        </>
      )}
      <WebhooksSection workspaceId={workspace.id} isAdmin={isAdmin} />
    </main>
  );
}

function ProviderItem({ provider: p, workspaceId, isAdmin }: { provider: ProviderInfo; workspaceId: string; isAdmin: boolean }) {
  const start = useStartOAuth(workspaceId);
  const [site, setSite] = useState("");
  const [leaving, setLeaving] = useState(false);
  const env = `BUGPORT_${p.id.toUpperCase()}`;
  const connect = (e: FormEvent) => {
    e.preventDefault();
    start.mutate(
      { provider: p.id, siteUrl: site.trim() || undefined },
      {
        onSuccess: (s) => {
          setLeaving(true);
          window.location.assign(s.authorize_url);
        },
      },
    );
  };
  return (
    <li data-testid="provider" data-provider={p.id} data-configured={p.configured}>
      <div className="row wrap">
        <strong>{p.name}</strong>
        {p.configured ? <span className="badge conn-active">available</span> : <span className="badge">not configured on this server</span>}
      </div>
      {!p.configured ? (
        <p className="hint">
          An operator registers an OAuth app with {p.name} whose callback URL is <code>{p.redirect_uri}</code>, then sets <code>{env}_CLIENT_ID</code> and{" "}
          <code>{env}_CLIENT_SECRET</code> and restarts BugPort (see “Registering BugPort with each provider” in docs/connectors.md).
        </p>
      ) : isAdmin ? (
        <form className="row wrap" onSubmit={connect} aria-label={`Connect ${p.name}`}>
          {p.id === "jira" && (
            <label className="stack-inline">
              Atlassian site (optional; default the first one the account can reach)
              <input className="input" type="url" value={site} onChange={(e) => setSite(e.target.value)} placeholder="https://acme.atlassian.net" />
            </label>
          )}
          <button type="submit" className="btn btn-primary btn-small" disabled={start.isPending || leaving}>
            {leaving ? `Going to ${p.name}…` : `Connect ${p.name}`}
          </button>
          {start.isError && <ErrorNote error={start.error} />}
        </form>
      ) : null}
    </li>
  );
}

function ConnectionRow({
  conn,
  provider,
  workspaceId,
  canUse,
  isAdmin,
  projects,
  targets,
  targetsLoading,
  onSecret,
}: {
  conn: Connection;
  provider: ProviderInfo | undefined;
  workspaceId: string;
  canUse: boolean;
  isAdmin: boolean;
  projects: Project[];
  targets: Map<string, TrackerTarget>;
  targetsLoading: boolean;
  onSecret: (hook: TrackerWebhook) => void;
}) {
  const test = useTestConnector(workspaceId);
  const disconnect = useDisconnect(workspaceId);
  const issue = useTrackerWebhookSecret();
  const [confirming, setConfirming] = useState<"disconnect" | "secret" | null>(null);
  const name = PROVIDER_NAMES[conn.provider];
  const auto = projects.filter((p) => targets.get(p.id)?.auto_push);
  const keys = (ps: Project[]) => ps.map((p) => p.key).join(", ");
  const last = conn.last_test;
  return (
    <tr data-testid="connection" data-provider={conn.provider} data-id={conn.id}>
      <td>{name}</td>
      <td>
        {conn.account_name}
        {conn.site_name && <div className="muted small">{conn.site_url ? `${conn.site_name} · ${conn.site_url}` : conn.site_name}</div>}
      </td>
      <td>
        <span className={`badge conn-${conn.status}`}>{conn.status === "active" ? "active" : "needs reconnecting"}</span>
      </td>
      <td data-testid="last-test">
        {last ? (
          <>
            <span className={last.ok ? "field-ok" : "field-error"}>{last.ok ? "works" : `failed: ${last.reason ?? "no reason given"}`}</span>
            <div className="muted small" title={fullTime(last.tested_at)}>
              {age(last.tested_at)}
            </div>
          </>
        ) : (
          <span className="muted">never tested</span>
        )}
      </td>
      <td>{targetsLoading ? "…" : projects.length ? keys(projects) : <span className="muted">none</span>}</td>
      <td>
        <div className="row wrap">
          {canUse && (
            <button type="button" className="btn btn-small" onClick={() => test.mutate(conn.id)} disabled={test.isPending}>
              {test.isPending ? "Testing…" : "Test connection"}
            </button>
          )}
          {isAdmin && (
            <button type="button" className="btn btn-small" onClick={() => setConfirming("secret")}>
              Set up status sync
            </button>
          )}
          {isAdmin && (
            <button type="button" className="btn btn-small btn-danger" onClick={() => setConfirming("disconnect")}>
              Disconnect
            </button>
          )}
        </div>
        {test.data && (
          <p role="status" data-testid="test-result" className={test.data.ok ? "field-ok" : "field-error"}>
            {test.data.ok ? `Connection works: signed in to ${name} as ${test.data.account_name}.` : `Test failed: ${test.data.reason ?? "no reason given"}`}
          </p>
        )}
        {test.isError && <ErrorNote error={test.error} />}
        {issue.isError && <ErrorNote error={issue.error} />}
        {disconnect.isError && <ErrorNote error={disconnect.error} />}
        {confirming === "disconnect" && (
          <ConfirmDialog
            title={`Disconnect ${name} (${conn.account_name})?`}
            confirmLabel={`Disconnect ${name}`}
            busy={disconnect.isPending}
            onCancel={() => setConfirming(null)}
            onConfirm={() => disconnect.mutate(conn.id, { onSettled: () => setConfirming(null) })}
          >
            <p data-testid="disconnect-impact">
              {targetsLoading
                ? "Checking which projects use it…"
                : `Auto-push stops for ${auto.length} ${auto.length === 1 ? "project" : "projects"}${auto.length ? ` (${keys(auto)})` : ""}, and ${
                    projects.length
                  } ${projects.length === 1 ? "project loses its" : "projects lose their"} tracker target${projects.length ? ` (${keys(projects)})` : ""}.`}
            </p>
            <p>
              Issues already created stay in {name}, but their status no longer syncs back.{" "}
              {provider?.supports_revoke
                ? `BugPort also revokes its token at ${name}.`
                : `${name} has no way to revoke the token from here: remove BugPort in your account's connected apps.`}
            </p>
          </ConfirmDialog>
        )}
        {confirming === "secret" && (
          <ConfirmDialog
            title={`Set up status sync from ${name}?`}
            confirmLabel="Issue webhook secret"
            busy={issue.isPending}
            onCancel={() => setConfirming(null)}
            onConfirm={() =>
              issue.mutate(conn.id, {
                onSuccess: (hook) => onSecret(hook),
                onSettled: () => setConfirming(null),
              })
            }
          >
            <p>
              BugPort issues a signing secret for {name}'s webhooks, shown once. If you issued one before, it is replaced and the tracker's webhook must
              get the new one.
            </p>
          </ConfirmDialog>
        )}
      </td>
    </tr>
  );
}

function SecretBox({ conn, hook, onDone }: { conn: Connection; hook: TrackerWebhook; onDone: () => void }) {
  const name = PROVIDER_NAMES[conn.provider];
  return (
    <section className="secret-box" data-testid="webhook-secret" aria-labelledby="secret-h">
      <h2 id="secret-h">Status sync from {name}</h2>
      <p>
        In {WHERE[conn.provider]}, add a webhook with this URL and secret, for the events <strong>{hook.events}</strong>. {name} signs each delivery
        with <code>{hook.signature_header}</code>. <strong>Copy the secret now: you won't see it again.</strong>
      </p>
      <div className="row">
        <label className="stack-inline grow">
          Payload URL
          <input className="input mono" readOnly value={hook.url} onFocus={(e) => e.target.select()} />
        </label>
        <CopyButton text={hook.url} label="Copy URL" />
      </div>
      <div className="row">
        <label className="stack-inline grow">
          Secret
          <input className="input mono" readOnly value={hook.secret} onFocus={(e) => e.target.select()} />
        </label>
        <CopyButton text={hook.secret} label="Copy secret" />
      </div>
      <button type="button" className="btn" onClick={onDone}>
        I've copied it — hide the secret
      </button>
    </section>
  );
}

function ProjectTarget({
  project,
  target,
  connections,
  isAdmin,
}: {
  project: Project;
  target: TrackerTarget | null;
  connections: Connection[];
  isAdmin: boolean;
}) {
  const put = usePutTarget(project.id);
  const del = useDeleteTarget(project.id);
  const [picked, setConnId] = useState(target?.connector_id ?? connections[0]?.id ?? "");
  // A connection that went away (disconnected) falls back to the target's or the first one.
  const connId = connections.some((c) => c.id === picked) ? picked : (target?.connector_id ?? connections[0]?.id ?? "");
  const [repo, setRepo] = useState(target?.repo ?? "");
  const [team, setTeam] = useState(target?.team_id ?? "");
  const [key, setKey] = useState(target?.project_key ?? "");
  const [issueType, setIssueType] = useState(target?.issue_type ?? "Bug");
  const [saved, setSaved] = useState<string | null>(null);
  const conn = connections.find((c) => c.id === connId);
  const targetConn = target && connections.find((c) => c.id === target.connector_id);
  const id = `target-${project.id}`;
  const bad =
    !conn ||
    (conn.provider === "github" && !REPO_RE.test(repo)) ||
    (conn.provider === "linear" && !TEAM_RE.test(team)) ||
    (conn.provider === "jira" && (!JIRA_KEY_RE.test(key) || !issueType.trim()));
  const body = (autoPush: boolean) => ({
    connector_id: connId,
    auto_push: autoPush,
    ...(conn?.provider === "github" ? { repo: repo.trim() } : {}),
    ...(conn?.provider === "linear" ? { team_id: team.trim() } : {}),
    ...(conn?.provider === "jira" ? { project_key: key.trim(), issue_type: issueType.trim() } : {}),
  });
  const save = (e: FormEvent) => {
    e.preventDefault();
    if (bad) return;
    setSaved(null);
    put.mutate(body(target?.auto_push ?? false), { onSuccess: () => setSaved("Target saved.") });
  };
  // The checkbox follows the click at once; the cache (optimistic too) catches up.
  const [auto, setAuto] = useState(target?.auto_push ?? false);
  useEffect(() => setAuto(target?.auto_push ?? false), [target?.auto_push]);
  const toggle = (on: boolean) => {
    if (!target) return;
    setSaved(null);
    setAuto(on);
    put.mutate(
      {
        connector_id: target.connector_id,
        auto_push: on,
        ...(target.repo ? { repo: target.repo } : {}),
        ...(target.team_id ? { team_id: target.team_id } : {}),
        ...(target.project_key ? { project_key: target.project_key, issue_type: target.issue_type ?? "Bug" } : {}),
      },
      {
        onSuccess: (t) => setSaved(t.auto_push ? "Auto-push on: new bugs are pushed." : "Auto-push off."),
        onError: () => setAuto(target.auto_push),
      },
    );
  };
  return (
    <div className="target" data-testid="project-target" data-project={project.key} aria-labelledby={`${id}-h`} role="group">
      <h3 id={`${id}-h`}>
        <span className="mono muted">{project.key}</span> {project.name}
      </h3>
      <p data-testid="target-summary">
        {target ? (
          <>
            Bugs go to {PROVIDER_NAMES[target.provider]} <strong className="mono">{targetText(target)}</strong>
            {targetConn ? ` through ${targetConn.account_name}` : ""}; auto-push is <strong>{target.auto_push ? "on" : "off"}</strong>.
          </>
        ) : (
          <span className="muted">Not pushed to a tracker.</span>
        )}
      </p>
      {isAdmin && target && (
        <label className="row">
          <input type="checkbox" checked={auto} disabled={put.isPending} onChange={(e) => toggle(e.target.checked)} />
          Push new bugs of {project.key} automatically (auto-push)
        </label>
      )}
      {isAdmin &&
        (connections.length === 0 ? (
          <p className="hint">Connect a tracker above to choose where {project.key}'s bugs go.</p>
        ) : (
          <form className="row wrap" onSubmit={save} aria-label={`Tracker target of ${project.key}`}>
            <label className="stack-inline">
              Connection
              <select className="input" value={connId} onChange={(e) => setConnId(e.target.value)}>
                {connections.map((c) => (
                  <option key={c.id} value={c.id}>
                    {connectionLabel(c)}
                  </option>
                ))}
              </select>
            </label>
            {conn?.provider === "github" && (
              <label className="stack-inline">
                Repository (owner/repo)
                <input className="input mono" value={repo} onChange={(e) => setRepo(e.target.value)} placeholder="acme/web" aria-invalid={repo !== "" && !REPO_RE.test(repo)} />
              </label>
            )}
            {conn?.provider === "linear" && (
              <label className="stack-inline">
                Linear team id
                <input className="input mono" value={team} onChange={(e) => setTeam(e.target.value)} aria-invalid={team !== "" && !TEAM_RE.test(team)} />
              </label>
            )}
            {conn?.provider === "jira" && (
              <>
                <label className="stack-inline">
                  Jira project key
                  <input
                    className="input mono"
                    value={key}
                    onChange={(e) => setKey(e.target.value.toUpperCase())}
                    placeholder="WEB"
                    aria-invalid={key !== "" && !JIRA_KEY_RE.test(key)}
                  />
                </label>
                <label className="stack-inline">
                  Issue type
                  <input className="input" value={issueType} onChange={(e) => setIssueType(e.target.value)} maxLength={100} />
                </label>
              </>
            )}
            <button type="submit" className="btn btn-primary btn-small" disabled={put.isPending || bad}>
              Save target
            </button>
            {target && (
              <button
                type="button"
                className="btn btn-small btn-danger"
                disabled={del.isPending}
                onClick={() => del.mutate(undefined, { onSuccess: () => setSaved(null) })}
              >
                Remove target
              </button>
            )}
          </form>
        ))}
      {isAdmin && conn?.provider === "linear" && <p className="hint">The team's id: in Linear, the team's settings, or its “Copy ID” command.</p>}
      {saved && !put.isPending && (
        <p role="status" className="field-ok">
          {saved}
        </p>
      )}
      {put.isError && <ErrorNote error={put.error} />}
      {del.isError && <ErrorNote error={del.error} />}
    </div>
  );
}
