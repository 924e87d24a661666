import { useEffect } from "react";
import { NavLink, Outlet, useLocation, useOutletContext, useSearchParams } from "react-router";
import type { Workspace } from "../../api/client";
import { CreateWorkspaceForm } from "../../app/NewWorkspace";
import { lastWorkspace, rememberWorkspace, useWorkspaces } from "../../app/workspace";
import { Empty, ErrorNote, Loading } from "../../ui/states";
import { atLeast, type Role } from "./api";

export interface SettingsContext {
  workspace: Workspace;
  role: Role;
  /** A link to another settings page of this workspace. */
  to: (path: string) => string;
}

export function useSettings(): SettingsContext {
  return useOutletContext<SettingsContext>();
}

/** The profile is the user's, not a workspace's: it opens with no workspace at all. */
const PROFILE = "/settings/profile";

const PAGES: { path: string; label: string; min: Role }[] = [
  { path: "workspace", label: "Workspace", min: "viewer" },
  { path: "members", label: "Members", min: "viewer" },
  { path: "projects", label: "Projects & widget keys", min: "viewer" },
  { path: "mcp-tokens", label: "MCP tokens", min: "viewer" },
  { path: "audit-log", label: "Audit log", min: "admin" },
  { path: "billing", label: "Storage & billing", min: "viewer" },
  { path: "integrations", label: "Integrations", min: "viewer" },
];

/** Workspace administration: a side menu (only the pages the caller's role may open) and the
 * page. The workspace is the URL's `?ws=` (or the last one used), so every page is a link. */
export function SettingsLayout() {
  const [params, setParams] = useSearchParams();
  const location = useLocation();
  const onProfile = location.pathname === PROFILE;
  const workspaces = useWorkspaces();
  const wsParam = params.get("ws");
  const wsId = wsParam || lastWorkspace() || workspaces.data?.[0]?.id || null;
  const workspace = workspaces.data?.find((w) => w.id === wsId) ?? workspaces.data?.[0];

  useEffect(() => {
    if (!workspace) return;
    rememberWorkspace(workspace.id);
    if (wsParam !== workspace.id) {
      const next = new URLSearchParams(params);
      next.set("ws", workspace.id);
      setParams(next, { replace: true });
    }
  }, [workspace, wsParam, params, setParams]);

  if (workspaces.isError) return <ErrorNote error={workspaces.error} onRetry={() => workspaces.refetch()} />;
  if (workspaces.isPending) return <Loading label="Loading the workspace…" />;
  if (!workspace)
    return (
      <div className="settings">
        <nav className="settings-nav" aria-label="Settings">
          <ul>
            <li>
              <NavLink to="/settings/workspace">Workspace</NavLink>
            </li>
            <li>
              <NavLink to={PROFILE}>Your profile</NavLink>
            </li>
          </ul>
        </nav>
        <div className="settings-page">
          {onProfile ? (
            <Outlet context={null} />
          ) : (
            <Empty title="No workspace yet">
              <p>You aren't a member of any workspace. Create one, or open an invite link someone sent you.</p>
              <CreateWorkspaceForm />
            </Empty>
          )}
        </div>
      </div>
    );
  const ctx: SettingsContext = {
    workspace,
    role: workspace.role,
    to: (path) => `/settings/${path}?ws=${encodeURIComponent(workspace.id)}`,
  };
  return (
    <div className="settings">
      <nav className="settings-nav" aria-label="Settings">
        <p className="muted small">
          {workspace.name} · <span data-testid="my-role">{workspace.role}</span>
        </p>
        <ul>
          {PAGES.filter((p) => atLeast(workspace.role, p.min)).map((p) => (
            <li key={p.path}>
              <NavLink to={ctx.to(p.path)}>{p.label}</NavLink>
            </li>
          ))}
          <li>
            <NavLink to={PROFILE}>Your profile</NavLink>
          </li>
        </ul>
      </nav>
      <div className="settings-page">
        <Outlet context={ctx} key={workspace.id} />
      </div>
    </div>
  );
}
