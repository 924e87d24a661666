import { useEffect, useMemo, useRef, useState, type FormEvent } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import type { Bug, BugStatus } from "../../api/client";
import { loadBugPage } from "../../app/lazy";
import { lastWorkspace, memberName, rememberWorkspace, useMembers, useWorkspaces } from "../../app/workspace";
import { Label, SeverityBadge, StatusBadge } from "../../ui/Badge";
import { Empty, ErrorNote, Loading } from "../../ui/states";
import { CreateWorkspaceForm } from "../../app/NewWorkspace";
import { age, fullTime } from "../../ui/time";
import { useBugList, useBulkUpdate } from "./api";
import { EDITABLE_STATUSES, hasFilters, isGrouped, queryFromParams, SEVERITIES, SORTS, SOURCES, STATUSES } from "./filters";
import { STATUS_LABEL } from "../../ui/Badge";

function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el) return false;
  if (el.tagName === "INPUT") return !["checkbox", "radio", "button", "submit"].includes((el as HTMLInputElement).type);
  return el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable;
}

export function InboxPage() {
  const [params, setParams] = useSearchParams();
  const navigate = useNavigate();
  const workspaces = useWorkspaces();
  const wsParam = params.get("ws");
  const wsId = wsParam || lastWorkspace() || workspaces.data?.[0]?.id || null;
  const known = workspaces.data?.some((w) => w.id === wsId);
  const role = workspaces.data?.find((w) => w.id === wsId)?.role;
  const canEdit = role !== undefined && role !== "viewer";

  // The URL always names its workspace, so a copied link opens the same view.
  useEffect(() => {
    if (!workspaces.data) return;
    if (!wsParam || !known) {
      const id = known ? wsId : workspaces.data[0]?.id;
      if (id && id !== wsParam) {
        const next = new URLSearchParams(params);
        next.set("ws", id);
        setParams(next, { replace: true });
      }
    } else {
      rememberWorkspace(wsParam);
    }
  }, [workspaces.data, wsParam, known, wsId, params, setParams]);

  const query = useMemo(() => queryFromParams(params, wsId), [params, wsId]);
  const grouped = isGrouped(params);
  // A workspace named by the URL (or remembered) is asked for at once; an unknown one comes
  // back 403 and the effect above switches to a workspace of the user's.
  const list = useBugList(query, !!wsId && (known || !workspaces.data));
  const members = useMembers(known || !workspaces.data ? wsId : null);
  const byId = useMemo(() => new Map((members.data ?? []).map((m) => [m.user_id, m])), [members.data]);
  const bugs: Bug[] = useMemo(() => list.data?.pages.flatMap((p) => p.data) ?? [], [list.data]);

  // Once rows are on screen, fetch the detail page's code: opening a bug then waits for nothing.
  const hasRows = bugs.length > 0;
  useEffect(() => {
    if (!hasRows) return;
    const t = setTimeout(() => void loadBugPage().catch(() => undefined), 200);
    return () => clearTimeout(t);
  }, [hasRows]);

  const [active, setActive] = useState(0);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [bulkNote, setBulkNote] = useState<string | null>(null);
  const searchRef = useRef<HTMLInputElement>(null);
  const statusRef = useRef<HTMLSelectElement>(null);
  const assignRef = useRef<HTMLSelectElement>(null);
  const tableRef = useRef<HTMLTableSectionElement>(null);

  // A new view starts at the top with nothing selected.
  const viewKey = JSON.stringify(query);
  useEffect(() => {
    setActive(0);
    setSelected(new Set());
  }, [viewKey]);

  const focusRow = (i: number) => {
    const link = tableRef.current?.querySelectorAll<HTMLAnchorElement>("a.bug-title")[i];
    link?.focus();
  };

  const toggle = (id: string) =>
    setSelected((prev) => {
      const next = new Set(prev);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.metaKey || e.ctrlKey || e.altKey) return;
      if (isTyping(e.target)) {
        if (e.key === "Escape") (e.target as HTMLElement).blur();
        return;
      }
      const last = bugs.length - 1;
      if (e.key === "/") {
        e.preventDefault();
        searchRef.current?.focus();
      } else if (e.key === "j" && last >= 0) {
        const i = Math.min(active + 1, last);
        setActive(i);
        focusRow(i);
      } else if (e.key === "k" && last >= 0) {
        const i = Math.max(active - 1, 0);
        setActive(i);
        focusRow(i);
      } else if ((e.key === "Enter" || e.key === "o") && bugs[active] && !(e.target instanceof HTMLAnchorElement)) {
        navigate(`/bugs/${bugs[active]!.id}`);
      } else if (e.key === "x" && !grouped && bugs[active]) {
        toggle(bugs[active]!.id);
      } else if ((e.key === "s" || e.key === "a") && canEdit && !grouped && bugs[active]) {
        e.preventDefault();
        if (selected.size === 0) setSelected(new Set([bugs[active]!.id]));
        setTimeout(() => (e.key === "s" ? statusRef : assignRef).current?.focus(), 0);
      }
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [bugs, active, navigate, canEdit, selected.size, grouped]);

  // Infinite scroll: the sentinel below the table loads the next page when it comes into view.
  const sentinel = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = sentinel.current;
    if (!el || !list.hasNextPage || typeof IntersectionObserver === "undefined") return;
    const io = new IntersectionObserver((entries) => {
      if (entries.some((x) => x.isIntersecting) && !list.isFetchingNextPage) void list.fetchNextPage();
    });
    io.observe(el);
    return () => io.disconnect();
  }, [list.hasNextPage, list.isFetchingNextPage, list.fetchNextPage]);

  const setFilter = (key: string, values: string | string[] | null) => {
    const next = new URLSearchParams(params);
    next.delete(key);
    for (const v of Array.isArray(values) ? values : values ? [values] : []) if (v) next.append(key, v);
    setParams(next);
  };
  const toggleMulti = (key: string, value: string) => {
    const cur = params.getAll(key);
    setFilter(key, cur.includes(value) ? cur.filter((x) => x !== value) : [...cur, value]);
  };
  const [q, setQ] = useState(params.get("q") ?? "");
  useEffect(() => setQ(params.get("q") ?? ""), [params]);
  const onSearch = (e: FormEvent) => {
    e.preventDefault();
    setFilter("q", q.trim() || null);
  };
  const clearFilters = () => {
    const next = new URLSearchParams();
    if (wsId) next.set("ws", wsId);
    const p = params.get("project");
    if (p) next.set("project", p);
    // Grouping is how the list is shown, not a filter: it stays.
    if (grouped) next.set("group", "fingerprint");
    setParams(next);
  };

  const allSelected = bugs.length > 0 && bugs.every((b) => selected.has(b.id));

  if (workspaces.isError) return <ErrorNote error={workspaces.error} onRetry={() => workspaces.refetch()} />;
  if (workspaces.data && workspaces.data.length === 0)
    return (
      <Empty title="No workspace yet">
        <p>You aren't a member of any workspace. Create one, or ask a workspace admin for an invite.</p>
        <CreateWorkspaceForm autoFocus />
      </Empty>
    );

  return (
    <main className="inbox" aria-busy={list.isFetching} data-view={params.toString()}>
      <h1 className="sr-only">Inbox</h1>
      <form className="filters" role="search" onSubmit={onSearch} aria-label="Filter bugs">
        <input
          ref={searchRef}
          type="search"
          name="q"
          className="input search"
          placeholder="Search bugs  ( / )"
          aria-label="Search bugs"
          value={q}
          onChange={(e) => setQ(e.target.value)}
        />
        <button type="submit" className="btn">
          Search
        </button>
        <fieldset className="chips" aria-label="Status">
          <legend className="sr-only">Status</legend>
          {STATUSES.map((s) => (
            <label key={s} className="chip">
              <input type="checkbox" name="status" value={s} checked={params.getAll("status").includes(s)} onChange={() => toggleMulti("status", s)} />
              {STATUS_LABEL[s]}
            </label>
          ))}
        </fieldset>
        <fieldset className="chips" aria-label="Severity">
          <legend className="sr-only">Severity</legend>
          {SEVERITIES.map((s) => (
            <label key={s} className="chip">
              <input type="checkbox" name="severity" value={s} checked={params.getAll("severity").includes(s)} onChange={() => toggleMulti("severity", s)} />
              {s}
            </label>
          ))}
        </fieldset>
        <select aria-label="Assignee" className="input" value={params.get("assignee") ?? ""} onChange={(e) => setFilter("assignee", e.target.value || null)}>
          <option value="">Any assignee</option>
          {(members.data ?? []).map((m) => (
            <option key={m.user_id} value={m.user_id}>
              {memberName(m)}
            </option>
          ))}
        </select>
        <select aria-label="Source" className="input" value={params.get("source") ?? ""} onChange={(e) => setFilter("source", e.target.value || null)}>
          <option value="">Any source</option>
          {SOURCES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
        <FilterText label="Label" name="label" value={params.get("label") ?? ""} onCommit={(v) => setFilter("label", v)} />
        <FilterText label="Reporter (email)" name="reporter" value={params.get("reporter") ?? ""} onCommit={(v) => setFilter("reporter", v)} />
        <label className="date">
          From <input type="date" className="input" value={params.get("from") ?? ""} onChange={(e) => setFilter("from", e.target.value || null)} />
        </label>
        <label className="date">
          Before <input type="date" className="input" value={params.get("to") ?? ""} onChange={(e) => setFilter("to", e.target.value || null)} />
        </label>
        <select
          aria-label="Sort"
          className="input"
          value={grouped ? "newest" : params.get("sort") ?? "newest"}
          disabled={grouped}
          aria-describedby={grouped ? "sort-hint" : undefined}
          title={grouped ? "Grouped lists are newest first" : undefined}
          onChange={(e) => setFilter("sort", e.target.value === "newest" ? null : e.target.value)}
        >
          {SORTS.map(([s, label]) => (
            <option key={s} value={s}>
              {label}
            </option>
          ))}
        </select>
        {grouped && (
          <span id="sort-hint" className="hint">
            Grouped: newest first only
          </span>
        )}
        <button
          type="button"
          className={`btn toggle${grouped ? " is-on" : ""}`}
          aria-pressed={grouped}
          title="One row per failure: the newest report, with how many reports share it"
          onClick={() => setFilter("group", grouped ? null : "fingerprint")}
        >
          Group similar
        </button>
        {hasFilters(params) && (
          <button type="button" className="btn btn-ghost" onClick={clearFilters}>
            Clear filters
          </button>
        )}
      </form>

      {selected.size > 0 && canEdit && !grouped && (
        <BulkBar
          ids={[...selected]}
          labels={[...new Set(bugs.filter((b) => selected.has(b.id)).flatMap((b) => b.labels))].sort()}
          members={(members.data ?? []).map((m) => ({ id: m.user_id, name: memberName(m) }))}
          statusRef={statusRef}
          assignRef={assignRef}
          onDone={(note) => {
            setBulkNote(note);
            setSelected(new Set());
          }}
        />
      )}
      {bulkNote && selected.size === 0 && (
        <p className="bulk-note" role="status">
          {bulkNote}
        </p>
      )}

      {list.isError ? (
        <ErrorNote error={list.error} onRetry={() => list.refetch()} />
      ) : list.isPending ? (
        <Loading label="Loading bugs…" />
      ) : bugs.length === 0 ? (
        hasFilters(params) ? (
          <Empty title="No bugs match these filters">
            <button type="button" className="btn" onClick={clearFilters}>
              Clear filters
            </button>
          </Empty>
        ) : (
          <Empty title="No bugs yet">Reports from the widget, the extension or the API show up here.</Empty>
        )
      ) : (
        <table className={`table bug-table${grouped ? " is-grouped" : ""}`} aria-label={grouped ? "Bugs grouped by failure" : "Bugs"} aria-rowcount={bugs.length}>
          <thead>
            <tr>
              {!grouped && (
                <th scope="col" className="col-check">
                  <input
                    type="checkbox"
                    aria-label="Select all"
                    checked={allSelected}
                    onChange={() => setSelected(allSelected ? new Set() : new Set(bugs.map((b) => b.id)))}
                  />
                </th>
              )}
              <th scope="col">Key</th>
              <th scope="col">Title</th>
              <th scope="col">Status</th>
              <th scope="col">Severity</th>
              <th scope="col">Assignee</th>
              <th scope="col" className="col-labels">Labels</th>
              <th scope="col" className="col-source">Source</th>
              {grouped ? (
                <>
                  <th scope="col">Reports</th>
                  <th scope="col">First seen</th>
                  <th scope="col">Last seen</th>
                </>
              ) : (
                <th scope="col">Age</th>
              )}
            </tr>
          </thead>
          <tbody ref={tableRef}>
            {bugs.map((b, i) => (
              <tr
                key={b.id}
                className={`bug-row${i === active ? " is-active" : ""}${selected.has(b.id) ? " is-selected" : ""}`}
                data-testid="bug-row"
                data-key={b.key}
                onClick={() => setActive(i)}
              >
                {!grouped && (
                  <td className="col-check">
                    <input type="checkbox" aria-label={`Select ${b.key}`} checked={selected.has(b.id)} onChange={() => toggle(b.id)} />
                  </td>
                )}
                <td className="bug-key mono">{b.key}</td>
                <td>
                  <Link className="bug-title" to={`/bugs/${b.id}`} onFocus={() => setActive(i)}>
                    {b.title}
                  </Link>
                </td>
                <td>
                  <StatusBadge status={b.status} />
                </td>
                <td>
                  <SeverityBadge severity={b.severity} />
                </td>
                <td className="assignee">{b.assignee_id ? memberName(byId.get(b.assignee_id)) : <span className="muted">—</span>}</td>
                <td className="col-labels">
                  {b.labels.map((l) => (
                    <Label key={l} name={l} />
                  ))}
                </td>
                <td className="col-source muted">{b.source}</td>
                {grouped ? (
                  <>
                    <td>
                      <GroupCount count={b.group?.count ?? 1} capped={b.group?.count_capped ?? false} failure={b.fingerprint?.request ?? b.fingerprint?.error ?? null} />
                    </td>
                    <td className="muted" title={fullTime(b.group?.first_seen ?? b.created_at)}>
                      {age(b.group?.first_seen ?? b.created_at)}
                    </td>
                    <td className="muted" title={fullTime(b.group?.last_seen ?? b.created_at)}>
                      {age(b.group?.last_seen ?? b.created_at)}
                    </td>
                  </>
                ) : (
                  <td className="muted" title={fullTime(b.created_at)}>
                    {age(b.created_at)}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div ref={sentinel} className="sentinel" />
      {list.hasNextPage && (
        <button type="button" className="btn load-more" onClick={() => list.fetchNextPage()} disabled={list.isFetchingNextPage}>
          {list.isFetchingNextPage ? "Loading…" : "Load more"}
        </button>
      )}
      {list.isFetchNextPageError && <ErrorNote error={list.error} onRetry={() => list.fetchNextPage()} />}
      <p className="shortcuts muted">
        <kbd>j</kbd>/<kbd>k</kbd> move · <kbd>Enter</kbd> open ·{" "}
        {!grouped && (
          <>
            <kbd>x</kbd> select · <kbd>s</kbd> status · <kbd>a</kbd> assign ·{" "}
          </>
        )}
        <kbd>/</kbd> search
      </p>
    </main>
  );
}

/** A failure group's size ("×37", "×1000+" past the API's count cap); the title says which failure. */
function GroupCount({ count, capped, failure }: { count: number; capped: boolean; failure: string | null }) {
  const shown = capped ? `${count}+` : String(count);
  const text = `${shown} report${count === 1 && !capped ? "" : "s"}` + (failure ? ` of ${failure}` : ", no captured failure");
  return (
    <span className="badge group-count" data-testid="group-count" title={text}>
      <span aria-hidden="true">×{shown}</span>
      <span className="sr-only">{text}</span>
    </span>
  );
}

function FilterText({ label, name, value, onCommit }: { label: string; name: string; value: string; onCommit: (v: string | null) => void }) {
  const [text, setText] = useState(value);
  useEffect(() => setText(value), [value]);
  const commit = () => {
    if (text.trim() !== value) onCommit(text.trim() || null);
  };
  return (
    <input
      className="input small"
      name={name}
      aria-label={label}
      placeholder={label}
      value={text}
      onChange={(e) => setText(e.target.value)}
      onBlur={commit}
      onKeyDown={(e) => {
        if (e.key === "Enter") {
          e.preventDefault();
          commit();
        }
      }}
    />
  );
}

function BulkBar({
  ids,
  labels,
  members,
  statusRef,
  assignRef,
  onDone,
}: {
  ids: string[];
  /** The labels the selected bugs carry: the choices for "Remove label". */
  labels: string[];
  members: { id: string; name: string }[];
  statusRef: React.RefObject<HTMLSelectElement>;
  assignRef: React.RefObject<HTMLSelectElement>;
  onDone: (note: string) => void;
}) {
  const bulk = useBulkUpdate();
  const [label, setLabel] = useState("");
  const apply = (changes: Parameters<typeof bulk.mutate>[0]["changes"]) => {
    bulk.mutate(
      { ids, changes },
      {
        onSuccess: (r) => {
          onDone(`Updated ${r.data.length} bug${r.data.length === 1 ? "" : "s"}` + (r.not_found.length ? `; ${r.not_found.length} not found` : ""));
        },
      },
    );
  };
  return (
    <div className="bulk-bar" role="region" aria-label="Bulk actions">
      <span>
        <strong>{ids.length}</strong> selected
      </span>
      <select
        ref={statusRef}
        aria-label="Set status"
        className="input"
        value=""
        onChange={(e) => e.target.value && apply({ status: e.target.value as BugStatus })}
        disabled={bulk.isPending}
      >
        <option value="">Set status…</option>
        {EDITABLE_STATUSES.map((s) => (
          <option key={s} value={s}>
            {STATUS_LABEL[s]}
          </option>
        ))}
      </select>
      <select
        ref={assignRef}
        aria-label="Assign to"
        className="input"
        value=""
        onChange={(e) => e.target.value && apply({ assignee_id: e.target.value === "none" ? null : e.target.value })}
        disabled={bulk.isPending}
      >
        <option value="">Assign to…</option>
        <option value="none">Nobody</option>
        {members.map((m) => (
          <option key={m.id} value={m.id}>
            {m.name}
          </option>
        ))}
      </select>
      <form
        className="inline"
        onSubmit={(e) => {
          e.preventDefault();
          if (label.trim()) apply({ labels: { add: [label.trim()], remove: [] } });
          setLabel("");
        }}
      >
        <input className="input small" aria-label="Add label" placeholder="Add label" value={label} onChange={(e) => setLabel(e.target.value)} />
      </form>
      <select
        aria-label="Remove label"
        className="input"
        value=""
        onChange={(e) => e.target.value && apply({ labels: { add: [], remove: [e.target.value] } })}
        disabled={bulk.isPending || labels.length === 0}
        title={labels.length === 0 ? "The selected bugs carry no labels" : undefined}
      >
        <option value="">{labels.length === 0 ? "No labels to remove" : "Remove label…"}</option>
        {labels.map((l) => (
          <option key={l} value={l}>
            {l}
          </option>
        ))}
      </select>
      {bulk.isPending && <span className="muted">Saving…</span>}
      {bulk.isError && <ErrorNote error={bulk.error} />}
    </div>
  );
}
