import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, call, type Member, type Project, type Workspace } from "../api/client";

const LAST_WS = "bugport.workspace";

export function lastWorkspace(): string | null {
  try {
    return localStorage.getItem(LAST_WS);
  } catch {
    return null;
  }
}

export function rememberWorkspace(id: string): void {
  try {
    localStorage.setItem(LAST_WS, id);
  } catch {
    // ignore
  }
}

/** Forget a workspace that is gone (deleted, left): the next page falls back to another. */
export function forgetWorkspace(id: string): void {
  try {
    if (localStorage.getItem(LAST_WS) === id) localStorage.removeItem(LAST_WS);
  } catch {
    // ignore
  }
}

export function useWorkspaces() {
  return useQuery({
    queryKey: ["workspaces"],
    queryFn: async (): Promise<Workspace[]> =>
      (await call(api.GET("/v1/workspaces", { params: { query: { limit: 100 } } }))).data,
    staleTime: 60_000,
  });
}

export function useProjects(workspaceId: string | null | undefined) {
  return useQuery({
    queryKey: ["projects", workspaceId],
    enabled: !!workspaceId,
    queryFn: async (): Promise<Project[]> =>
      (await call(api.GET("/v1/projects", { params: { query: { workspace_id: workspaceId!, limit: 100 } } }))).data,
    staleTime: 60_000,
  });
}

/** Every member of a workspace (for assignees and @mentions), following the cursor. */
export function useMembers(workspaceId: string | null | undefined) {
  return useQuery({
    queryKey: ["members", workspaceId],
    enabled: !!workspaceId,
    staleTime: 60_000,
    queryFn: async (): Promise<Member[]> => {
      const out: Member[] = [];
      let cursor: string | undefined;
      for (let i = 0; i < 20; i++) {
        const page = await call(
          api.GET("/v1/workspaces/{workspace_id}/members", {
            params: { path: { workspace_id: workspaceId! }, query: { limit: 100, cursor } },
          }),
        );
        out.push(...page.data);
        if (!page.next_cursor) break;
        cursor = page.next_cursor;
      }
      return out;
    },
  });
}

export function memberName(m: Pick<Member, "name" | "email" | "user_id"> | undefined | null): string {
  if (!m) return "Unknown";
  return m.name || m.email || m.user_id.slice(0, 8);
}

export function useMe() {
  return useQuery({
    queryKey: ["me"],
    queryFn: () => call(api.GET("/v1/auth/me")),
    staleTime: 300_000,
  });
}

/** `POST /v1/workspaces`: the caller becomes its owner; the switcher lists it at once. */
export function useCreateWorkspace() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (name: string) => call(api.POST("/v1/workspaces", { body: { name } })),
    onSuccess: (ws) => {
      qc.setQueryData<Workspace[]>(["workspaces"], (list) => (list ? [...list.filter((w) => w.id !== ws.id), ws] : [ws]));
      void qc.invalidateQueries({ queryKey: ["workspaces"] });
      void qc.invalidateQueries({ queryKey: ["me"] });
    },
  });
}
