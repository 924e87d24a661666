import { useInfiniteQuery } from "@tanstack/react-query";
import { Fragment, useMemo, useState } from "react";
import { useSearchParams } from "react-router";
import { Empty, ErrorNote, ForbiddenPage, Loading } from "../../ui/states";
import { fullTime } from "../../ui/time";
import { atLeast, auditPage, useMcpToolNames, useMcpTokens, type AuditEntry, type AuditQuery } from "./api";
import { useSettings } from "./SettingsLayout";

const EXPORT_MAX = 10_000;
const COLUMNS: (keyof AuditEntry)[] = [
  "created_at",
  "token_id",
  "outcome",
  "status",
  "error_code",
  "method",
  "route",
  "tool",
  "bug_id",
  "client_ip",
  "mcp_client",
  "user_agent",
  "request_id",
  "arguments",
];

function csvCell(v: unknown): string {
  const s = v == null ? "" : typeof v === "object" ? JSON.stringify(v) : String(v);
  // Quote everything; a leading =, +, - or @ is neutralised so a spreadsheet never runs it.
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return `"${safe.replace(/"/g, '""')}"`;
}

export function toCsv(rows: AuditEntry[]): string {
  return [COLUMNS.join(","), ...rows.map((r) => COLUMNS.map((c) => csvCell(r[c])).join(","))].join("\r\n") + "\r\n";
}

/** `datetime-local` value (local time) ↔ RFC 3339 UTC. */
function toIso(local: string): string | undefined {
  if (!local) return undefined;
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** Routes a token can call, for the suggestions; any other route template can be typed. */
const ROUTES = ["/mcp", "/v1/mcp/tools", "/v1/mcp/tools/invoke", "/v1/mcp/config"];

/** The "tool or route" box filters on the server: a value starting with `/` is a route
 * template, anything else an MCP tool name (both exact). */
function callFilter(q: string): Pick<AuditQuery, "tool" | "route"> {
  if (!q) return {};
  return q.startsWith("/") ? { route: q } : { tool: q };
}

/** Calls made with MCP tokens: filters in the URL (token, outcome, tool/route, time), cursor
 * paging, each entry's details, and a CSV of the whole filtered range. */
export function AuditPage() {
  const { workspace, role } = useSettings();
  const [params, setParams] = useSearchParams();
  const tokens = useMcpTokens(workspace.id);
  const toolNames = useMcpToolNames();
  const filters = {
    token: params.get("token") ?? "",
    outcome: (params.get("outcome") ?? "") as "" | "allowed" | "denied" | "failed",
    q: params.get("q") ?? "",
    since: params.get("since") ?? "",
    until: params.get("until") ?? "",
  };
  const query: AuditQuery = useMemo(
    () => ({
      token_id: filters.token || undefined,
      outcome: filters.outcome || undefined,
      ...callFilter(filters.q),
      since: toIso(filters.since),
      until: toIso(filters.until),
    }),
    [filters.token, filters.outcome, filters.q, filters.since, filters.until],
  );
  const list = useInfiniteQuery({
    queryKey: ["audit", workspace.id, query],
    enabled: atLeast(role, "admin"),
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) => auditPage(workspace.id, query, pageParam),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
  const [open, setOpen] = useState<string | null>(null);
  const [exporting, setExporting] = useState(false);
  const [exportError, setExportError] = useState<unknown>(null);
  const [exportNote, setExportNote] = useState<string | null>(null);
  const rows = useMemo(() => list.data?.pages.flatMap((p) => p.data) ?? [], [list.data]);
  const tokenName = (id: string) => tokens.data?.find((t) => t.id === id)?.name ?? id.slice(0, 8);

  if (!atLeast(role, "admin")) return <ForbiddenPage />;

  const set = (key: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next);
  };

  const exportCsv = async () => {
    setExporting(true);
    setExportError(null);
    setExportNote(null);
    try {
      const out: AuditEntry[] = [];
      let cursor: string | undefined;
      let truncated = false;
      for (;;) {
        const page = await auditPage(workspace.id, query, cursor, 100);
        out.push(...page.data);
        if (out.length >= EXPORT_MAX) {
          truncated = !!page.next_cursor || out.length > EXPORT_MAX;
          out.length = Math.min(out.length, EXPORT_MAX);
          break;
        }
        if (!page.next_cursor) break;
        cursor = page.next_cursor;
      }
      const blob = new Blob([toCsv(out)], { type: "text/csv;charset=utf-8" });
      const url = URL.createObjectURL(blob);
      const a = document.createElement("a");
      a.href = url;
      a.download = `audit-log-${workspace.name.replace(/[^A-Za-z0-9_-]+/g, "-")}.csv`;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      setExportNote(`Exported ${out.length} entr${out.length === 1 ? "y" : "ies"}${truncated ? ` (the first ${EXPORT_MAX}; narrow the time range for the rest)` : ""}.`);
    } catch (e) {
      setExportError(e);
    } finally {
      setExporting(false);
    }
  };

  return (
    <main className="admin-page wide" aria-labelledby="audit-h">
      <h1 id="audit-h">Audit log</h1>
      <p className="hint">Every call made with an MCP token in this workspace, newest first. Entries can't be edited or deleted.</p>
      <form className="filters" aria-label="Filter the audit log" onSubmit={(e) => e.preventDefault()}>
        <select className="input" aria-label="Token" value={filters.token} onChange={(e) => set("token", e.target.value)}>
          <option value="">Any token</option>
          {(tokens.data ?? []).map((t) => (
            <option key={t.id} value={t.id}>
              {t.name} ({t.token_hint})
            </option>
          ))}
        </select>
        <select className="input" aria-label="Outcome" value={filters.outcome} onChange={(e) => set("outcome", e.target.value)}>
          <option value="">Any outcome</option>
          <option value="allowed">allowed</option>
          <option value="denied">denied</option>
          <option value="failed">failed</option>
        </select>
        <input
          className="input"
          type="search"
          aria-label="Tool or route"
          aria-describedby="audit-call-hint"
          placeholder="Tool or route"
          list="audit-calls"
          defaultValue={filters.q}
          onKeyDown={(e) => e.key === "Enter" && set("q", e.currentTarget.value.trim())}
          onBlur={(e) => e.currentTarget.value.trim() !== filters.q && set("q", e.currentTarget.value.trim())}
        />
        <datalist id="audit-calls">
          {(toolNames.data ?? []).map((n) => (
            <option key={n} value={n} />
          ))}
          {ROUTES.map((r) => (
            <option key={r} value={r} />
          ))}
        </datalist>
        <span id="audit-call-hint" className="sr-only">
          An MCP tool name, or a route starting with a slash. Press Enter to apply.
        </span>
        <label className="date">
          From <input className="input" type="datetime-local" aria-label="From" value={filters.since} onChange={(e) => set("since", e.target.value)} />
        </label>
        <label className="date">
          Before <input className="input" type="datetime-local" aria-label="Before" value={filters.until} onChange={(e) => set("until", e.target.value)} />
        </label>
        <button type="button" className="btn" onClick={exportCsv} disabled={exporting}>
          {exporting ? "Exporting…" : "Export CSV"}
        </button>
      </form>
      {exportNote && <p role="status">{exportNote}</p>}
      {exportError != null && <ErrorNote error={exportError} />}
      {list.isError ? (
        <ErrorNote error={list.error} onRetry={() => list.refetch()} />
      ) : list.isPending ? (
        <Loading label="Loading the audit log…" />
      ) : rows.length === 0 ? (
        <Empty title={params.toString().replace(/(^|&)ws=[^&]*/, "") ? "No entries match these filters" : "No calls yet"}>
          Calls made with MCP tokens show up here.
        </Empty>
      ) : (
        <table className="table" aria-label="Audit entries" aria-busy={list.isFetching}>
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Token</th>
              <th scope="col">Call</th>
              <th scope="col">Outcome</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((e) => (
              <Fragment key={e.id}>
                <tr data-testid="audit-row" data-outcome={e.outcome} data-route={e.route}>
                  <td>
                    <button type="button" className="linkish" aria-expanded={open === e.id} onClick={() => setOpen(open === e.id ? null : e.id)}>
                      {fullTime(e.created_at)}
                    </button>
                  </td>
                  <td>{tokenName(e.token_id)}</td>
                  <td className="mono small">{e.tool ? `tool ${e.tool}` : `${e.method} ${e.route}`}</td>
                  <td>
                    <span className={`badge outcome-${e.outcome}`}>{e.outcome}</span>
                  </td>
                  <td>
                    {e.status}
                    {e.error_code && <span className="muted"> {e.error_code}</span>}
                  </td>
                </tr>
                {open === e.id && (
                  <tr className="net-detail">
                    <td colSpan={5}>
                      <dl className="kv" data-testid="audit-detail">
                        <dt>Request id</dt>
                        <dd className="mono">{e.request_id}</dd>
                        <dt>Route</dt>
                        <dd className="mono">
                          {e.method} {e.route}
                        </dd>
                        {e.bug_id && (
                          <>
                            <dt>Bug</dt>
                            <dd className="mono">{e.bug_id}</dd>
                          </>
                        )}
                        <dt>Client</dt>
                        <dd>{[e.mcp_client, e.user_agent, e.client_ip].filter(Boolean).join(" · ") || "unknown"}</dd>
                        <dt>Arguments</dt>
                        <dd>
                          <pre>{e.arguments ? JSON.stringify(e.arguments, null, 2) : "none"}</pre>
                        </dd>
                      </dl>
                    </td>
                  </tr>
                )}
              </Fragment>
            ))}
          </tbody>
        </table>
      )}
      {list.hasNextPage && (
        <button type="button" className="btn load-more" onClick={() => list.fetchNextPage()} disabled={list.isFetchingNextPage}>
          {list.isFetchingNextPage ? "Loading…" : "Load more"}
        </button>
      )}
    </main>
  );
}
