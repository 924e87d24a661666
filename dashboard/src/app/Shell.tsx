import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, NavLink, Outlet, useLocation, useNavigate, useSearchParams } from "react-router";
import { signOut as endSession } from "../api/token";
import { NewWorkspaceDialog } from "./NewWorkspace";
import { lastWorkspace, rememberWorkspace, useMe, useProjects, useWorkspaces } from "./workspace";

const NEW_WORKSPACE = "__new__";

/** The signed-in layout: brand, workspace and project switchers, the user, then the page. Admin
 * pages (members, projects, keys…) slot in as more children of this route. */
export function Shell() {
  const [params] = useSearchParams();
  const location = useLocation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const workspaces = useWorkspaces();
  const me = useMe();
  const onInbox = location.pathname === "/";
  const onSettings = location.pathname.startsWith("/settings");
  const wsId = ((onInbox || onSettings) && params.get("ws")) || lastWorkspace() || workspaces.data?.[0]?.id || null;
  const projects = useProjects(wsId);
  const [creating, setCreating] = useState(false);

  const switchWorkspace = (id: string) => {
    if (id === NEW_WORKSPACE) {
      setCreating(true);
      return;
    }
    rememberWorkspace(id);
    // On an admin page, the same page of the other workspace; elsewhere its inbox.
    navigate(onSettings ? `${location.pathname}?ws=${encodeURIComponent(id)}` : `/?ws=${encodeURIComponent(id)}`);
  };
  const switchProject = (id: string) => {
    const next = new URLSearchParams(onInbox ? params : undefined);
    if (wsId) next.set("ws", wsId);
    if (id) next.set("project", id);
    else next.delete("project");
    navigate(`/?${next.toString()}`);
  };
  const signOut = async () => {
    await endSession().catch(() => undefined);
    queryClient.clear();
    navigate("/signin");
  };

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to={wsId ? `/?ws=${wsId}` : "/"} className="brand">
          BugPort
        </Link>
        <label className="switcher">
          <span className="sr-only">Workspace</span>
          <select
            aria-label="Workspace"
            value={wsId ?? ""}
            onChange={(e) => switchWorkspace(e.target.value)}
            disabled={!workspaces.data}
          >
            {workspaces.data?.length === 0 && <option value="">No workspace</option>}
            {(workspaces.data ?? []).map((w) => (
              <option key={w.id} value={w.id}>
                {w.name}
              </option>
            ))}
            <option value={NEW_WORKSPACE}>New workspace…</option>
          </select>
        </label>
        <label className="switcher">
          <span className="sr-only">Project</span>
          <select
            aria-label="Project"
            value={(onInbox && params.get("project")) || ""}
            onChange={(e) => switchProject(e.target.value)}
            disabled={!projects.data}
          >
            <option value="">All projects</option>
            {(projects.data ?? []).map((p) => (
              <option key={p.id} value={p.id}>
                {p.key} · {p.name}
              </option>
            ))}
          </select>
        </label>
        <span className="spacer" />
        <NavLink to={wsId ? `/settings/members?ws=${encodeURIComponent(wsId)}` : "/settings/workspace"} className={() => `btn btn-ghost${onSettings ? " is-current" : ""}`}>
          Settings
        </NavLink>
        {me.data && (
          <Link to="/settings/profile" className="whoami" title="Your profile">
            {me.data.name || me.data.email}
          </Link>
        )}
        <button type="button" className="btn btn-ghost" onClick={signOut}>
          Sign out
        </button>
      </header>
      <div id="main" className="main" tabIndex={-1}>
        <Outlet />
      </div>
      {creating && <NewWorkspaceDialog onClose={() => setCreating(false)} />}
    </div>
  );
}
