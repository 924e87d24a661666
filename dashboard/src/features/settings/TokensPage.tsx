import { useMemo, useState, type FormEvent } from "react";
import { Link } from "react-router";
import { memberName, useMe, useMembers, useProjects } from "../../app/workspace";
import { ConfirmDialog, CopyButton } from "../../ui/Confirm";
import { Empty, ErrorNote, Loading } from "../../ui/states";
import { age, fullTime } from "../../ui/time";
import { atLeast, useCreateMcpToken, useMcpConfig, useMcpTokens, useRevokeMcpToken, type McpToken, type McpTokenCreated } from "./api";
import { useSettings } from "./SettingsLayout";

const CLIENTS: [string, string][] = [
  ["claude_desktop", "Claude Desktop"],
  ["claude_code", "Claude Code"],
  ["cursor", "Cursor"],
  ["vscode", "VS Code"],
];

const EXPIRY: [string, number | null][] = [
  ["7 days", 7],
  ["30 days", 30],
  ["90 days", 90],
  ["1 year", 365],
];

/** Client configurations from `GET /v1/mcp/config`; with a token, filled in (only in the one view
 * that shows the token), otherwise with the placeholder. */
export function ClientConfigs({ token }: { token: string | null }) {
  const config = useMcpConfig();
  const [client, setClient] = useState("claude_desktop");
  const [transport, setTransport] = useState<"http" | "stdio">("http");
  if (config.isError) return <ErrorNote error={config.error} onRetry={() => config.refetch()} />;
  if (config.isPending) return <Loading label="Loading client configurations…" />;
  const entry = config.data.clients[client] ?? {};
  const raw = entry[transport];
  let text = typeof raw === "string" ? raw : JSON.stringify(raw, null, 2);
  if (token) text = text.split(config.data.token_placeholder).join(token);
  return (
    <div className="client-configs">
      <div className="row wrap">
        <label className="stack-inline">
          Client
          <select className="input" value={client} onChange={(e) => setClient(e.target.value)} aria-label="MCP client">
            {CLIENTS.map(([id, name]) => (
              <option key={id} value={id}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <fieldset className="chips" aria-label="Transport">
          <legend className="sr-only">Transport</legend>
          <label className="chip">
            <input type="radio" name="transport" checked={transport === "http"} onChange={() => setTransport("http")} />
            Streamable HTTP ({config.data.mcp_url})
          </label>
          <label className="chip">
            <input type="radio" name="transport" checked={transport === "stdio"} onChange={() => setTransport("stdio")} />
            stdio (<code>bugport mcp</code>)
          </label>
        </fieldset>
      </div>
      <p className="hint">Paste into: {String(entry.file ?? "")}</p>
      <pre data-testid="client-config">{text}</pre>
      <CopyButton text={text} label="Copy configuration" />
    </div>
  );
}

export function TokensPage() {
  const { workspace, role } = useSettings();
  const tokens = useMcpTokens(workspace.id);
  const members = useMembers(workspace.id);
  const me = useMe();
  const revoke = useRevokeMcpToken(workspace.id);
  const [created, setCreated] = useState<McpTokenCreated | null>(null);
  const [revoking, setRevoking] = useState<McpToken | null>(null);
  const isAdmin = atLeast(role, "admin");
  const byId = useMemo(() => new Map((members.data ?? []).map((m) => [m.user_id, m])), [members.data]);
  const projects = useProjects(workspace.id);
  const projectKey = (id: string) => projects.data?.find((p) => p.id === id)?.key ?? id.slice(0, 8);

  return (
    <main className="admin-page" aria-labelledby="tokens-h">
      <h1 id="tokens-h">MCP tokens</h1>
      <p className="hint">
        Tokens let an AI assistant (Claude, Cursor, VS Code…) read — and if you allow it, triage — this workspace's bugs through MCP. A token never
        reaches management routes or makes share links, and its scopes are capped by your role on every call.{" "}
        {isAdmin ? "As an admin you see everyone's tokens." : "You see your own tokens."}{" "}
        {isAdmin && <Link to={`/settings/audit-log?ws=${encodeURIComponent(workspace.id)}`}>What tokens did: the audit log</Link>}
      </p>
      {created ? (
        <div className="secret-box" data-testid="token-created">
          <h2>Token “{created.name}” created</h2>
          <p>
            <strong>Copy it now: you won't see this token again.</strong> BugPort keeps only a hash; the list shows{" "}
            <span className="mono">{created.token_hint}</span>.
          </p>
          <div className="row">
            <input className="input mono grow" readOnly aria-label="New MCP token" value={created.token} onFocus={(e) => e.target.select()} />
            <CopyButton text={created.token} label="Copy token" />
          </div>
          <h3>Client configuration (with this token)</h3>
          <ClientConfigs token={created.token} />
          <button type="button" className="btn" onClick={() => setCreated(null)}>
            I've copied it — hide the token
          </button>
        </div>
      ) : (
        <CreateToken workspaceId={workspace.id} canWrite={atLeast(role, "member")} onCreated={setCreated} />
      )}
      <section className="panel" aria-labelledby="tokens-list-h">
        <h2 id="tokens-list-h">Tokens</h2>
        {tokens.isError ? (
          <ErrorNote error={tokens.error} onRetry={() => tokens.refetch()} />
        ) : tokens.isPending ? (
          <Loading label="Loading tokens…" />
        ) : tokens.data.length === 0 ? (
          <Empty title="No MCP tokens yet">Create one above to connect an assistant.</Empty>
        ) : (
          <table className="table" aria-label="MCP tokens">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Scopes</th>
                <th scope="col">Projects</th>
                <th scope="col">Token</th>
                <th scope="col">Created by</th>
                <th scope="col">Last used</th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {tokens.data.map((t) => (
                <tr key={t.id} data-testid="token-row" data-status={t.status}>
                  <td>{t.name}</td>
                  <td className="mono small">{t.scopes.join(" ")}</td>
                  <td>{t.project_ids ? t.project_ids.map(projectKey).join(", ") : "all"}</td>
                  <td className="mono">{t.token_hint}</td>
                  <td>{t.created_by_id === me.data?.id ? "you" : memberName(byId.get(t.created_by_id))}</td>
                  <td className="muted" title={t.last_used_at ? fullTime(t.last_used_at) : undefined}>
                    {t.last_used_at ? age(t.last_used_at) : "never"}
                  </td>
                  <td>
                    <span className={`badge token-${t.status}`}>{t.status}</span>
                    {t.status === "active" && t.expires_at && (
                      <div className="muted small" title={fullTime(t.expires_at)}>
                        expires {age(t.expires_at)}
                      </div>
                    )}
                  </td>
                  <td>
                    {t.status === "active" && (
                      <button type="button" className="btn btn-small btn-danger" onClick={() => setRevoking(t)}>
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {revoke.isError && <ErrorNote error={revoke.error} />}
      </section>
      {!created && (
        <section className="panel" aria-labelledby="configs-h">
          <h2 id="configs-h">Client configurations</h2>
          <p className="hint">Replace the placeholder with your token (create one above to get them filled in).</p>
          <ClientConfigs token={null} />
        </section>
      )}
      {revoking && (
        <ConfirmDialog
          title={`Revoke “${revoking.name}”?`}
          confirmLabel="Revoke token"
          busy={revoke.isPending}
          onCancel={() => setRevoking(null)}
          onConfirm={() => revoke.mutate(revoking.id, { onSettled: () => setRevoking(null) })}
        >
          <p>
            <span className="mono">{revoking.token_hint}</span> stops working at once: the next call of any assistant using it is refused (and shows
            as denied in the audit log).
          </p>
        </ConfirmDialog>
      )}
    </main>
  );
}

function CreateToken({ workspaceId, canWrite, onCreated }: { workspaceId: string; canWrite: boolean; onCreated: (t: McpTokenCreated) => void }) {
  const create = useCreateMcpToken(workspaceId);
  const projects = useProjects(workspaceId);
  const [name, setName] = useState("");
  const [write, setWrite] = useState(false);
  const [restrict, setRestrict] = useState(false);
  const [picked, setPicked] = useState<Set<string>>(new Set());
  const [days, setDays] = useState(90);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (restrict && picked.size === 0) return;
    create.mutate(
      {
        name: name.trim(),
        scopes: write ? ["bugs:read", "bugs:write"] : ["bugs:read"],
        project_ids: restrict ? [...picked] : null,
        expires_at: new Date(Date.now() + days * 86400_000).toISOString(),
      },
      {
        onSuccess: (t) => {
          setName("");
          setWrite(false);
          setRestrict(false);
          setPicked(new Set());
          onCreated(t);
        },
      },
    );
  };
  return (
    <form className="panel stack" onSubmit={submit} aria-label="Create an MCP token">
      <h2>New token</h2>
      <label className="stack-inline">
        Name (what it is for)
        <input className="input" required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} placeholder="Claude on my laptop" />
      </label>
      <fieldset className="stack">
        <legend>Scopes</legend>
        <label>
          <input type="checkbox" checked disabled /> <code>bugs:read</code> — read bugs, console, network, comments (always included)
        </label>
        <label>
          <input type="checkbox" checked={write} disabled={!canWrite} onChange={(e) => setWrite(e.target.checked)} /> <code>bugs:write</code> — change
          status, severity, assignee, labels; add comments
          {!canWrite && <span className="muted"> (needs the member role)</span>}
        </label>
      </fieldset>
      <fieldset className="stack">
        <legend>Projects</legend>
        <label>
          <input type="radio" name="restrict" checked={!restrict} onChange={() => setRestrict(false)} /> All projects of the workspace
        </label>
        <label>
          <input type="radio" name="restrict" checked={restrict} onChange={() => setRestrict(true)} /> Only these:
        </label>
        {restrict && (
          <div className="chips" role="group" aria-label="Projects the token may read">
            {(projects.data ?? []).map((p) => (
              <label key={p.id} className="chip">
                <input
                  type="checkbox"
                  checked={picked.has(p.id)}
                  onChange={() =>
                    setPicked((prev) => {
                      const next = new Set(prev);
                      if (next.has(p.id)) next.delete(p.id);
                      else next.add(p.id);
                      return next;
                    })
                  }
                />
                {p.key} · {p.name}
              </label>
            ))}
          </div>
        )}
        {restrict && picked.size === 0 && <p className="field-error">Pick at least one project.</p>}
      </fieldset>
      <label className="stack-inline">
        Expires after
        <select className="input" value={days} onChange={(e) => setDays(Number(e.target.value))}>
          {EXPIRY.map(([label, d]) => (
            <option key={label} value={d ?? 0}>
              {label}
            </option>
          ))}
        </select>
      </label>
      <div>
        <button type="submit" className="btn btn-primary" disabled={create.isPending || (restrict && picked.size === 0)}>
          {create.isPending ? "Creating…" : "Create token"}
        </button>
      </div>
      {create.isError && <ErrorNote error={create.error} />}
    </form>
  );
}
