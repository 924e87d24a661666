import { useMutation, useQueries, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, call, type Schemas } from "../../api/client";
import { isApiError } from "../../api/errors";

export type Role = Schemas["Workspace"]["role"];
export type Invite = Schemas["Invite"];
export type InviteCreated = Schemas["InviteCreated"];
export type WidgetKey = Schemas["WidgetKey"];
export type WidgetKeyCreated = Schemas["WidgetKeyCreated"];
export type McpToken = Schemas["McpToken"];
export type McpTokenCreated = Schemas["McpTokenCreated"];
export type AuditEntry = Schemas["AuditEntry"];
export type Connection = Schemas["Connection"];
export type ProviderInfo = Schemas["ProviderInfo"];
export type ProviderId = ProviderInfo["id"];
export type TrackerTarget = Schemas["TrackerTarget"];
export type TrackerTargetPut = Schemas["TrackerTargetPut"];
export type TrackerWebhook = Schemas["TrackerWebhook"];
export type TestResult = Schemas["TestResult"];
export type Webhook = Schemas["Webhook"];
export type WebhookCreated = Schemas["WebhookCreated"];
export type WebhookAttempt = Schemas["WebhookAttempt"];

const ORDER: Role[] = ["viewer", "member", "admin", "owner"];

/** Roles are ordered: viewer < member < admin < owner (docs/roles.md). */
export function atLeast(role: Role | undefined, min: Role): boolean {
  return !!role && ORDER.indexOf(role) >= ORDER.indexOf(min);
}

/** Follow a keyset-paged list to its end (admin lists are small: members, invites, keys). */
async function everything<T>(page: (cursor?: string) => Promise<{ data: T[]; next_cursor?: string | null }>, max = 2000): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  while (out.length < max) {
    const p = await page(cursor);
    out.push(...p.data);
    if (!p.next_cursor) break;
    cursor = p.next_cursor;
  }
  return out;
}

const ws = (workspaceId: string) => ({ path: { workspace_id: workspaceId } });

// ---- workspaces -------------------------------------------------------------------------------

export { useCreateWorkspace } from "../../app/workspace";

export function useRenameWorkspace(workspaceId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (name: string) => call(api.PATCH("/v1/workspaces/{workspace_id}", { params: ws(workspaceId), body: { name } })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ["workspaces"] }),
  });
}

export function useDeleteWorkspace(workspaceId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () => call(api.DELETE("/v1/workspaces/{workspace_id}", { params: ws(workspaceId) })),
    onSuccess: () => {
      qc.removeQueries({ queryKey: ["bugs"] });
      void qc.invalidateQueries({ queryKey: ["workspaces"] });
    },
  });
}

// ---- my profile: notification preferences -----------------------------------------------------

export type NotificationPrefs = Schemas["NotificationPrefs"];

export function useNotificationPrefs() {
  return useQuery({ queryKey: ["notification-prefs"], queryFn: () => call(api.GET("/v1/auth/me/notifications")) });
}

export function useUpdateNotificationPrefs() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: Partial<NotificationPrefs>) => call(api.PATCH("/v1/auth/me/notifications", { body })),
    onSuccess: (prefs) => qc.setQueryData(["notification-prefs"], prefs),
  });
}

// ---- members and invites ----------------------------------------------------------------------

export function useChangeRole(workspaceId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ userId, role }: { userId: string; role: Role }) =>
      call(api.PATCH("/v1/workspaces/{workspace_id}/members/{user_id}", { params: { path: { workspace_id: workspaceId, user_id: userId } }, body: { role } })),
    onSettled: () => {
      void qc.invalidateQueries({ queryKey: ["members", workspaceId] });
      void qc.invalidateQueries({ queryKey: ["workspaces"] });
    },
  });
}

export function useRemoveMember(workspaceId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (userId: string) =>
      call(api.DELETE("/v1/workspaces/{workspace_id}/members/{user_id}", { params: { path: { workspace_id: workspaceId, user_id: userId } } })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ["members", workspaceId] }),
  });
}

export function useInvites(workspaceId: string, enabled: boolean) {
  return useQuery({
    queryKey: ["invites", workspaceId],
    enabled,
    queryFn: () =>
      everything((cursor) => call(api.GET("/v1/workspaces/{workspace_id}/invites", { params: { ...ws(workspaceId), query: { limit: 100, cursor } } }))),
  });
}

export function useCreateInvite(workspaceId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: Schemas["InviteCreate"]) => call(api.POST("/v1/workspaces/{workspace_id}/invites", { params: ws(workspaceId), body })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ["invites", workspaceId] }),
  });
}

export function useRevokeInvite(workspaceId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (inviteId: string) =>
      call(api.DELETE("/v1/workspaces/{workspace_id}/invites/{invite_id}", { params: { path: { workspace_id: workspaceId, invite_id: inviteId } } })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ["invites", workspaceId] }),
  });
}

export function useAcceptInvite() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (token: string) => call(api.POST("/v1/invites/{token}/accept", { params: { path: { token } } })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ["workspaces"] }),
  });
}

// ---- projects and widget keys -----------------------------------------------------------------

export function useCreateProject(workspaceId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: Omit<Schemas["ProjectCreate"], "workspace_id">) => call(api.POST("/v1/projects", { body: { ...body, workspace_id: workspaceId } })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ["projects", workspaceId] }),
  });
}

export function useUpdateProject(workspaceId: string, projectId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: Schemas["ProjectUpdate"]) => call(api.PATCH("/v1/projects/{project_id}", { params: { path: { project_id: projectId } }, body })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ["projects", workspaceId] }),
  });
}

export function useDeleteProject(workspaceId: string, projectId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () => call(api.DELETE("/v1/projects/{project_id}", { params: { path: { project_id: projectId } } })),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ["projects", workspaceId] });
      void qc.invalidateQueries({ queryKey: ["bugs"] });
    },
  });
}

const pk = (projectId: string) => ({ path: { project_id: projectId } });
const kk = (projectId: string, keyId: string) => ({ path: { project_id: projectId, key_id: keyId } });

export function useWidgetKeys(projectId: string, enabled: boolean) {
  return useQuery({
    queryKey: ["widget-keys", projectId],
    enabled,
    queryFn: () =>
      everything((cursor) => call(api.GET("/v1/projects/{project_id}/widget-keys", { params: { ...pk(projectId), query: { limit: 100, cursor } } }))),
  });
}

export function useCreateWidgetKey(projectId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: Schemas["WidgetKeyCreate"]) => call(api.POST("/v1/projects/{project_id}/widget-keys", { params: pk(projectId), body })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ["widget-keys", projectId] }),
  });
}

export function useUpdateWidgetKey(projectId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ keyId, body }: { keyId: string; body: Schemas["WidgetKeyUpdate"] }) =>
      call(api.PATCH("/v1/projects/{project_id}/widget-keys/{key_id}", { params: kk(projectId, keyId), body })),
    // Optimistic (a toggle answers at once), rolled back when refused.
    onMutate: async ({ keyId, body }) => {
      await qc.cancelQueries({ queryKey: ["widget-keys", projectId] });
      const before = qc.getQueryData<WidgetKey[]>(["widget-keys", projectId]);
      if (before)
        qc.setQueryData<WidgetKey[]>(
          ["widget-keys", projectId],
          before.map((k) => (k.id === keyId ? ({ ...k, ...body } as WidgetKey) : k)),
        );
      return { before };
    },
    onError: (_e, _v, ctx) => {
      if (ctx?.before) qc.setQueryData(["widget-keys", projectId], ctx.before);
    },
    onSettled: () => void qc.invalidateQueries({ queryKey: ["widget-keys", projectId] }),
  });
}

export function useRotateWidgetKey(projectId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ keyId, graceUntil }: { keyId: string; graceUntil: string | null }) =>
      call(
        api.POST("/v1/projects/{project_id}/widget-keys/{key_id}/rotate", {
          params: kk(projectId, keyId),
          body: graceUntil ? { grace_until: graceUntil } : {},
        }),
      ),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ["widget-keys", projectId] }),
  });
}

export function useRevokeWidgetKey(projectId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (keyId: string) => call(api.DELETE("/v1/projects/{project_id}/widget-keys/{key_id}", { params: kk(projectId, keyId) })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ["widget-keys", projectId] }),
  });
}

// ---- MCP tokens and the audit log -------------------------------------------------------------

export function useMcpTokens(workspaceId: string) {
  return useQuery({
    queryKey: ["mcp-tokens", workspaceId],
    queryFn: () =>
      everything((cursor) => call(api.GET("/v1/workspaces/{workspace_id}/mcp-tokens", { params: { ...ws(workspaceId), query: { limit: 100, cursor } } }))),
  });
}

export function useCreateMcpToken(workspaceId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: Schemas["McpTokenCreate"]) => call(api.POST("/v1/workspaces/{workspace_id}/mcp-tokens", { params: ws(workspaceId), body })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ["mcp-tokens", workspaceId] }),
  });
}

export function useRevokeMcpToken(workspaceId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (tokenId: string) =>
      call(api.DELETE("/v1/workspaces/{workspace_id}/mcp-tokens/{token_id}", { params: { path: { workspace_id: workspaceId, token_id: tokenId } } })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ["mcp-tokens", workspaceId] }),
  });
}

export function useMcpConfig() {
  return useQuery({ queryKey: ["mcp-config"], staleTime: Infinity, queryFn: () => call(api.GET("/v1/mcp/config")) });
}

export type AuditQuery = {
  token_id?: string;
  outcome?: "allowed" | "denied" | "failed";
  tool?: string;
  route?: string;
  since?: string;
  until?: string;
};

/** Tool names for the audit log's "tool or route" suggestions (a signed-in user sees them all). */
export function useMcpToolNames() {
  return useQuery({
    queryKey: ["mcp-tools"],
    staleTime: 5 * 60_000,
    queryFn: async () => (await call(api.GET("/v1/mcp/tools"))).data.map((t) => t.name),
  });
}

export function auditPage(workspaceId: string, query: AuditQuery, cursor?: string, limit = 50) {
  return call(api.GET("/v1/workspaces/{workspace_id}/audit-log", { params: { ...ws(workspaceId), query: { ...query, limit, cursor } } }));
}

// ---- storage, billing -------------------------------------------------------------------------

export function useStorage(workspaceId: string) {
  return useQuery({
    queryKey: ["storage", workspaceId],
    queryFn: () => call(api.GET("/v1/workspaces/{workspace_id}/storage", { params: ws(workspaceId) })),
  });
}

export function usePlans() {
  return useQuery({ queryKey: ["plans"], staleTime: 300_000, queryFn: () => call(api.GET("/v1/plans")) });
}

export function useBilling(workspaceId: string, enabled: boolean) {
  return useQuery({
    queryKey: ["billing", workspaceId],
    enabled,
    queryFn: () => call(api.GET("/v1/workspaces/{workspace_id}/billing", { params: ws(workspaceId) })),
  });
}

export function useCheckout(workspaceId: string) {
  return useMutation({
    mutationFn: (body: Schemas["CheckoutCreate"]) => call(api.POST("/v1/workspaces/{workspace_id}/billing/checkout", { params: ws(workspaceId), body })),
  });
}

export function usePortal(workspaceId: string) {
  return useMutation({
    mutationFn: () => call(api.POST("/v1/workspaces/{workspace_id}/billing/portal", { params: ws(workspaceId) })),
  });
}

export function useStorageAddons(workspaceId: string, enabled: boolean) {
  return useQuery({
    queryKey: ["storage-addons", workspaceId],
    enabled,
    queryFn: () => call(api.GET("/v1/workspaces/{workspace_id}/billing/storage-addons", { params: ws(workspaceId) })),
  });
}

export function useChangeStorageAddons(workspaceId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (quantity: number) =>
      call(api.POST("/v1/workspaces/{workspace_id}/billing/storage-addons", { params: ws(workspaceId), body: { quantity } })),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ["storage-addons", workspaceId] });
      void qc.invalidateQueries({ queryKey: ["billing", workspaceId] });
    },
  });
}

// ---- connectors -------------------------------------------------------------------------------

export function useConnectors(workspaceId: string) {
  return useQuery({
    queryKey: ["connectors", workspaceId],
    queryFn: () => call(api.GET("/v1/connectors", { params: { query: { workspace_id: workspaceId } } })),
  });
}

/** Ask for the provider's authorize URL (the caller then sends the browser there). */
export function useStartOAuth(workspaceId: string) {
  return useMutation({
    mutationFn: ({ provider, siteUrl }: { provider: ProviderId; siteUrl?: string }) =>
      call(
        api.POST("/v1/connectors/{provider}/oauth/start", {
          params: { path: { provider } },
          body: {
            workspace_id: workspaceId,
            return_path: `/settings/integrations?ws=${encodeURIComponent(workspaceId)}`,
            ...(siteUrl ? { site_url: siteUrl } : {}),
          },
        }),
      ),
  });
}

/** The dashboard's callback page posts the provider's code and state back. */
export function useFinishOAuth(provider: ProviderId) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: Schemas["OAuthCallback"]) => call(api.POST("/v1/connectors/{provider}/oauth/callback", { params: { path: { provider } }, body })),
    onSuccess: (conn) => void qc.invalidateQueries({ queryKey: ["connectors", conn.workspace_id] }),
  });
}

const ck = (connectorId: string) => ({ path: { connector_id: connectorId } });

export function useTestConnector(workspaceId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (connectorId: string) => call(api.POST("/v1/connectors/{connector_id}/test", { params: ck(connectorId) })),
    onSettled: () => void qc.invalidateQueries({ queryKey: ["connectors", workspaceId] }),
  });
}

export function useDisconnect(workspaceId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (connectorId: string) => call(api.DELETE("/v1/connectors/{connector_id}", { params: ck(connectorId) })),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ["connectors", workspaceId] });
      // The project targets that used the connection went with it.
      void qc.invalidateQueries({ queryKey: ["tracker-target"] });
    },
  });
}

export function useTrackerWebhookSecret() {
  return useMutation({
    mutationFn: (connectorId: string) => call(api.POST("/v1/connectors/{connector_id}/webhook-secret", { params: ck(connectorId) })),
  });
}

async function fetchTarget(projectId: string): Promise<TrackerTarget | null> {
  try {
    return await call(api.GET("/v1/projects/{project_id}/tracker-target", { params: pk(projectId) }));
  } catch (e) {
    if (isApiError(e) && e.status === 404) return null; // no target: the bugs go nowhere
    throw e;
  }
}

/** Every project's tracker target (null when it has none), in the projects' order. */
export function useTrackerTargets(projectIds: string[]) {
  return useQueries({
    queries: projectIds.map((id) => ({ queryKey: ["tracker-target", id], queryFn: () => fetchTarget(id) })),
  });
}

export function usePutTarget(projectId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: TrackerTargetPut) => call(api.PUT("/v1/projects/{project_id}/tracker-target", { params: pk(projectId), body })),
    // The auto-push toggle answers at once (optimistic), rolled back when refused.
    onMutate: async (body) => {
      await qc.cancelQueries({ queryKey: ["tracker-target", projectId] });
      const before = qc.getQueryData<TrackerTarget | null>(["tracker-target", projectId]);
      if (before && before.connector_id === body.connector_id)
        qc.setQueryData<TrackerTarget>(["tracker-target", projectId], { ...before, auto_push: !!body.auto_push });
      return { before };
    },
    onError: (_e, _v, ctx) => {
      if (ctx?.before !== undefined) qc.setQueryData(["tracker-target", projectId], ctx.before);
    },
    onSuccess: (t) => qc.setQueryData(["tracker-target", projectId], t),
    onSettled: () => void qc.invalidateQueries({ queryKey: ["tracker-target", projectId] }),
  });
}

export function useDeleteTarget(projectId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () => call(api.DELETE("/v1/projects/{project_id}/tracker-target", { params: pk(projectId) })),
    onSuccess: () => qc.setQueryData(["tracker-target", projectId], null),
    onSettled: () => void qc.invalidateQueries({ queryKey: ["tracker-target", projectId] }),
  });
}

// ---- outgoing webhooks (admin: webhook.manage) ---------------------------------------------------

const wk = (endpointId: string) => ({ path: { endpoint_id: endpointId } });

export function useWebhooks(workspaceId: string, enabled: boolean) {
  return useQuery({
    queryKey: ["webhooks", workspaceId],
    enabled,
    queryFn: () =>
      everything((cursor) => call(api.GET("/v1/workspaces/{workspace_id}/webhooks", { params: { ...ws(workspaceId), query: { limit: 100, cursor } } }))),
  });
}

export function useCreateWebhook(workspaceId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: Schemas["WebhookCreate"]) => call(api.POST("/v1/workspaces/{workspace_id}/webhooks", { params: ws(workspaceId), body })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ["webhooks", workspaceId] }),
  });
}

export function useUpdateWebhook(workspaceId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ id, body }: { id: string; body: Schemas["WebhookUpdate"] }) => call(api.PATCH("/v1/webhooks/{endpoint_id}", { params: wk(id), body })),
    onSettled: () => void qc.invalidateQueries({ queryKey: ["webhooks", workspaceId] }),
  });
}

export function useDeleteWebhook(workspaceId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => call(api.DELETE("/v1/webhooks/{endpoint_id}", { params: wk(id) })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ["webhooks", workspaceId] }),
  });
}

export function usePingWebhook(endpointId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () => call(api.POST("/v1/webhooks/{endpoint_id}/test", { params: wk(endpointId) })),
    onSettled: () => void qc.invalidateQueries({ queryKey: ["webhook-deliveries", endpointId] }),
  });
}

/** The endpoint's latest delivery attempts (newest first). */
export function useWebhookDeliveries(endpointId: string, enabled: boolean) {
  return useQuery({
    queryKey: ["webhook-deliveries", endpointId],
    enabled,
    queryFn: async () => (await call(api.GET("/v1/webhooks/{endpoint_id}/deliveries", { params: { ...wk(endpointId), query: { limit: 10 } } }))).data,
  });
}
