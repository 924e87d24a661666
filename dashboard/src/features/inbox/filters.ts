import type { paths } from "../../api/schema";

export type BugListQuery = NonNullable<paths["/v1/bugs"]["get"]["parameters"]["query"]>;

/** Every status a bug can have: the inbox filters on all of them. */
export const STATUSES = ["open", "in_progress", "resolved", "closed", "wont_fix", "duplicate"] as const;
/** The statuses a person can set directly (`duplicate` comes only from "Mark as duplicate of…";
 * a PATCH to it is refused). */
export const EDITABLE_STATUSES = ["open", "in_progress", "resolved", "closed", "wont_fix"] as const;
export const SEVERITIES = ["critical", "high", "medium", "low"] as const;
export const PRIORITIES = ["none", "low", "medium", "high", "urgent"] as const;
export const SOURCES = ["dashboard", "widget", "extension", "api", "mcp"] as const;
export const SORTS = [
  ["newest", "Newest"],
  ["oldest", "Oldest"],
  ["updated", "Recently updated"],
  ["severity", "Severity"],
] as const;

/** The URL query string of the inbox → the API's list filters (the URL is the view state). */
export function queryFromParams(params: URLSearchParams, workspaceId: string | null): BugListQuery {
  const one = (k: string) => params.get(k) || undefined;
  const many = <T extends string>(k: string, allowed: readonly T[]) => {
    const v = params.getAll(k).filter((x): x is T => (allowed as readonly string[]).includes(x));
    return v.length ? v : undefined;
  };
  const day = (k: string) => {
    const v = params.get(k);
    return v && /^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : undefined;
  };
  const sort = params.get("sort");
  // Grouped by failure, the API lists newest first only (any other sort is a 422).
  const grouped = isGrouped(params);
  return {
    workspace_id: params.get("project") ? undefined : workspaceId ?? undefined,
    project_id: one("project"),
    status: many("status", STATUSES),
    severity: many("severity", SEVERITIES),
    assignee_id: one("assignee"),
    label: one("label"),
    source: many("source", SOURCES)?.[0],
    reporter: one("reporter"),
    q: one("q"),
    created_after: day("from"),
    created_before: day("to"),
    sort: !grouped && SORTS.some(([s]) => s === sort) ? (sort as BugListQuery["sort"]) : undefined,
    group: grouped ? "fingerprint" : undefined,
    limit: 50,
  };
}

export const FILTER_KEYS = ["project", "status", "severity", "assignee", "label", "source", "reporter", "q", "from", "to", "sort"];

/** "Group similar": one row per failure (`group=fingerprint` in the URL). */
export function isGrouped(params: URLSearchParams): boolean {
  return params.get("group") === "fingerprint";
}

export function hasFilters(params: URLSearchParams): boolean {
  return FILTER_KEYS.some((k) => k !== "project" && k !== "sort" && params.has(k));
}
