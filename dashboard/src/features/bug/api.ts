import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, call, type Bug, type Schemas } from "../../api/client";
import { ApiError } from "../../api/errors";

/** Follow a keyset-paged route up to `max` items (a report holds at most 1,000 logs). */
async function all<T>(page: (cursor?: string) => Promise<{ data: T[]; next_cursor?: string | null }>, max = 2000): Promise<T[]> {
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

const path = (bugId: string) => ({ path: { bug_id: bugId } });

type ListPages = { pages: { data: Bug[] }[] };

/** The row the inbox already holds: the detail page renders it at once, then refetches. */
function fromLists(qc: ReturnType<typeof useQueryClient>, bugId: string): Bug | undefined {
  for (const [, lists] of qc.getQueriesData<ListPages>({ queryKey: ["bugs", "list"] })) {
    const hit = lists?.pages.flatMap((p) => p.data).find((b) => b.id === bugId);
    if (hit) return hit;
  }
  return undefined;
}

export function useBug(bugId: string) {
  const qc = useQueryClient();
  return useQuery({
    queryKey: ["bug", bugId],
    initialData: () => fromLists(qc, bugId),
    initialDataUpdatedAt: 0,
    queryFn: ({ signal }) => call(api.GET("/v1/bugs/{bug_id}", { params: path(bugId), signal })),
  });
}

export function useLogs(bugId: string, enabled: boolean) {
  return useQuery({
    queryKey: ["logs", bugId],
    enabled,
    staleTime: Infinity,
    queryFn: () => all((cursor) => call(api.GET("/v1/bugs/{bug_id}/logs", { params: { ...path(bugId), query: { limit: 100, cursor } } }))),
  });
}

export function useNetwork(bugId: string, enabled: boolean) {
  return useQuery({
    queryKey: ["network", bugId],
    enabled,
    staleTime: Infinity,
    queryFn: () => all((cursor) => call(api.GET("/v1/bugs/{bug_id}/network", { params: { ...path(bugId), query: { limit: 100, cursor } } }))),
  });
}

export function useMedia(bugId: string, enabled: boolean) {
  return useQuery({
    queryKey: ["media", bugId],
    enabled,
    // Download URLs are short-lived: fetch fresh ones rather than keep stale ones.
    staleTime: 60_000,
    queryFn: () => all((cursor) => call(api.GET("/v1/bugs/{bug_id}/media", { params: { ...path(bugId), query: { limit: 100, cursor } } }))),
  });
}

export function useComments(bugId: string, enabled: boolean) {
  return useQuery({
    queryKey: ["comments", bugId],
    enabled,
    queryFn: () => all((cursor) => call(api.GET("/v1/bugs/{bug_id}/comments", { params: { ...path(bugId), query: { limit: 100, cursor } } }))),
  });
}

export function useActivity(bugId: string, enabled: boolean) {
  return useQuery({
    queryKey: ["activity", bugId],
    enabled,
    queryFn: () => all((cursor) => call(api.GET("/v1/bugs/{bug_id}/activity", { params: { ...path(bugId), query: { limit: 100, cursor } } }))),
  });
}

export function useShareLinks(bugId: string, enabled: boolean) {
  return useQuery({
    queryKey: ["share-links", bugId],
    enabled,
    queryFn: () => all((cursor) => call(api.GET("/v1/bugs/{bug_id}/share-links", { params: { ...path(bugId), query: { limit: 100, cursor } } }))),
  });
}

export type BugChanges = Schemas["BugUpdate"];

/** Inline edits: applied to the cache at once, rolled back (error shown) when the API refuses. */
export function useUpdateBug(bugId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (changes: BugChanges) => call(api.PATCH("/v1/bugs/{bug_id}", { params: path(bugId), body: changes })),
    onMutate: async (changes) => {
      await qc.cancelQueries({ queryKey: ["bug", bugId] });
      const before = qc.getQueryData<Bug>(["bug", bugId]);
      if (before) qc.setQueryData<Bug>(["bug", bugId], { ...before, ...(changes as Partial<Bug>) });
      return { before };
    },
    onError: (_e, _changes, ctx) => {
      if (ctx?.before) qc.setQueryData(["bug", bugId], ctx.before);
    },
    onSuccess: (bug) => qc.setQueryData(["bug", bugId], bug),
    onSettled: () => {
      void qc.invalidateQueries({ queryKey: ["activity", bugId] });
      void qc.invalidateQueries({ queryKey: ["bugs"] });
    },
  });
}

export function useAddComment(bugId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: string) => call(api.POST("/v1/bugs/{bug_id}/comments", { params: path(bugId), body: { body } })),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ["comments", bugId] });
      void qc.invalidateQueries({ queryKey: ["activity", bugId] });
    },
  });
}

export function useEditComment(bugId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ id, body }: { id: string; body: string }) =>
      call(api.PATCH("/v1/bugs/{bug_id}/comments/{comment_id}", { params: { path: { bug_id: bugId, comment_id: id } }, body: { body } })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ["comments", bugId] }),
  });
}

export function useDeleteComment(bugId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) =>
      call(api.DELETE("/v1/bugs/{bug_id}/comments/{comment_id}", { params: { path: { bug_id: bugId, comment_id: id } } })),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ["comments", bugId] });
      void qc.invalidateQueries({ queryKey: ["activity", bugId] });
    },
  });
}

export function useCreateShare(bugId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (expiresAt: string | null) =>
      call(api.POST("/v1/bugs/{bug_id}/share-links", { params: path(bugId), body: expiresAt ? { expires_at: expiresAt } : {} })),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ["share-links", bugId] });
      void qc.invalidateQueries({ queryKey: ["activity", bugId] });
    },
  });
}

export function useRevokeShare(bugId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (linkId: string) =>
      call(api.DELETE("/v1/bugs/{bug_id}/share-links/{link_id}", { params: { path: { bug_id: bugId, link_id: linkId } } })),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ["share-links", bugId] });
      void qc.invalidateQueries({ queryKey: ["activity", bugId] });
    },
  });
}

export function useDeleteBug(bugId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () => call(api.DELETE("/v1/bugs/{bug_id}", { params: path(bugId) })),
    onSuccess: () => {
      qc.removeQueries({ queryKey: ["bug", bugId] });
      void qc.invalidateQueries({ queryKey: ["bugs"] });
    },
  });
}

export async function fixPrompt(bugId: string): Promise<string> {
  return (await call(api.GET("/v1/mcp/bugs/{bug_id}/prompt", { params: path(bugId) }))).prompt;
}

/** Bugs that look like this one (same failure first), with the reason for each. */
export function useSimilar(bugId: string) {
  return useQuery({
    queryKey: ["similar", bugId],
    queryFn: ({ signal }) => call(api.GET("/v1/bugs/{bug_id}/similar", { params: { ...path(bugId), query: { limit: 5 } }, signal })),
  });
}

/** The first page of the bugs marked duplicates of this one. */
export function useDuplicates(bugId: string, enabled: boolean) {
  return useQuery({
    queryKey: ["duplicates", bugId],
    enabled,
    queryFn: ({ signal }) => call(api.GET("/v1/bugs/{bug_id}/duplicates", { params: { ...path(bugId), query: { limit: 100 } }, signal })),
  });
}

/** Another bug by id, e.g. the canonical bug of a duplicate (its key and title). */
export function useBugById(bugId: string | null) {
  return useQuery({
    queryKey: ["bug", bugId ?? ""],
    enabled: !!bugId,
    queryFn: ({ signal }) => call(api.GET("/v1/bugs/{bug_id}", { params: path(bugId ?? ""), signal })),
  });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What a person typed (a key like `APP-12`, or an id) → that bug of the workspace. The API's
 * `GET /v1/bugs/{bug_id}` takes ids only, so a key is found through the list's full-text search
 * (which covers keys) and matched exactly. */
export async function resolveBug(text: string, workspaceId: string): Promise<Bug> {
  const typed = text.trim();
  if (UUID.test(typed)) return call(api.GET("/v1/bugs/{bug_id}", { params: path(typed) }));
  const found = await call(api.GET("/v1/bugs", { params: { query: { workspace_id: workspaceId, q: typed, limit: 100 } } }));
  const hit = found.data.find((b) => b.key.toLowerCase() === typed.toLowerCase());
  if (!hit) throw new ApiError(404, "not_found", `No bug ${typed} in this workspace (type its key, e.g. APP-12, or its id).`);
  return hit;
}

function afterDuplicateChange(qc: ReturnType<typeof useQueryClient>, bug: Bug) {
  qc.setQueryData(["bug", bug.id], bug);
  for (const key of ["similar", "duplicates", "activity", "bugs"]) void qc.invalidateQueries({ queryKey: [key] });
}

/** Mark this bug a duplicate of another (the API collapses chains and refuses cycles). */
export function useMarkDuplicate(bugId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (canonicalId: string) => call(api.POST("/v1/bugs/{bug_id}/duplicate-of", { params: path(bugId), body: { bug_id: canonicalId } })),
    onSuccess: (bug) => afterDuplicateChange(qc, bug),
  });
}

/** Undo: no longer a duplicate, the status it had before comes back. */
export function useUnmarkDuplicate(bugId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () => call(api.DELETE("/v1/bugs/{bug_id}/duplicate-of", { params: path(bugId) })),
    onSuccess: (bug) => afterDuplicateChange(qc, bug),
  });
}
