import { Fragment, useMemo, useState } from "react";
import type { NetworkEntry } from "../api/client";
import { bytes, offset } from "./time";

const REDACTED = "[REDACTED]";

function duration(n: NetworkEntry): number | null {
  const t = n.timing as Record<string, number>;
  const d = t.duration ?? t.total ?? t.elapsed;
  return typeof d === "number" ? d : null;
}

/** A value, with the redaction marker shown as a marked badge rather than plain text. */
function Value({ text }: { text: string }) {
  if (!text.includes(REDACTED)) return <>{text}</>;
  const parts = text.split(REDACTED);
  return (
    <>
      {parts.map((p, i) => (
        <Fragment key={i}>
          {p}
          {i < parts.length - 1 && (
            <mark className="redacted" title="Redacted before storage">
              redacted
            </mark>
          )}
        </Fragment>
      ))}
    </>
  );
}

function Headers({ title, headers }: { title: string; headers: Record<string, unknown> }) {
  const rows = Object.entries(headers);
  return (
    <div>
      <h4>{title}</h4>
      {rows.length === 0 ? (
        <p className="muted">None captured.</p>
      ) : (
        <dl className="kv">
          {rows.map(([k, v]) => (
            <Fragment key={k}>
              <dt>{k}</dt>
              <dd>
                <Value text={String(v)} />
              </dd>
            </Fragment>
          ))}
        </dl>
      )}
    </div>
  );
}

function Body({ title, body }: { title: string; body: string | null }) {
  if (!body) return null;
  return (
    <div>
      <h4>{title}</h4>
      <pre className="body">
        <Value text={body} />
      </pre>
    </div>
  );
}

/** Network requests: method, URL, status, duration, size, a waterfall bar; failed-only filter;
 * headers and bodies on demand, redacted values marked. */
export function NetworkViewer({ entries, since }: { entries: NetworkEntry[]; since: string }) {
  const [failedOnly, setFailedOnly] = useState(false);
  const [q, setQ] = useState("");
  const [open, setOpen] = useState<number | null>(null);
  const shown = useMemo(
    () =>
      entries.filter(
        (n) => (!failedOnly || n.failed) && (!q || n.url.toLowerCase().includes(q.toLowerCase())),
      ),
    [entries, failedOnly, q],
  );
  const span = useMemo(() => {
    const starts = entries.map((n) => (n.started_at ? Date.parse(n.started_at) : NaN)).filter((x) => !Number.isNaN(x));
    if (starts.length === 0) return null;
    const t0 = Math.min(...starts);
    const t1 = Math.max(...entries.map((n) => (n.started_at ? Date.parse(n.started_at) : t0) + (duration(n) ?? 0)));
    return { t0, total: Math.max(t1 - t0, 1) };
  }, [entries]);
  return (
    <section className="viewer network-viewer" aria-label="Network">
      <div className="viewer-tools">
        <label className="chip">
          <input type="checkbox" checked={failedOnly} onChange={(e) => setFailedOnly(e.target.checked)} />
          Failed only ({entries.filter((n) => n.failed).length})
        </label>
        <input
          type="search"
          className="input"
          placeholder="Filter URLs"
          aria-label="Filter requests by URL"
          value={q}
          onChange={(e) => setQ(e.target.value)}
        />
      </div>
      {entries.length === 0 ? (
        <p className="muted">No network requests were captured.</p>
      ) : shown.length === 0 ? (
        <p className="muted">No requests match.</p>
      ) : (
        <table className="table net-table">
          <thead>
            <tr>
              <th scope="col">Method</th>
              <th scope="col">URL</th>
              <th scope="col">Status</th>
              <th scope="col">Time</th>
              <th scope="col">Size</th>
              <th scope="col" className="col-waterfall">
                Waterfall
              </th>
            </tr>
          </thead>
          <tbody>
            {shown.map((n) => {
              const d = duration(n);
              const start = n.started_at && span ? Date.parse(n.started_at) - span.t0 : null;
              const expanded = open === n.position;
              return (
                <Fragment key={n.position}>
                  <tr className={n.failed ? "net-row failed" : "net-row"} data-testid="net-row">
                    <td>{n.method}</td>
                    <td className="net-url">
                      <button
                        type="button"
                        className="linkish"
                        aria-expanded={expanded}
                        onClick={() => setOpen(expanded ? null : n.position)}
                      >
                        <Value text={n.url} />
                      </button>
                      {n.error && <div className="net-error">{n.error}</div>}
                    </td>
                    <td className={n.failed ? "net-status bad" : "net-status"}>{n.status || "—"}</td>
                    <td>{d != null ? `${Math.round(d)} ms` : ""}</td>
                    <td>{bytes(n.response_size)}</td>
                    <td className="col-waterfall">
                      {span && start != null && (
                        <span className="waterfall" title={offset(n.started_at, since)}>
                          <span
                            className={n.failed ? "bar bad" : "bar"}
                            style={{
                              marginLeft: `${(start / span.total) * 100}%`,
                              width: `${Math.max(((d ?? 0) / span.total) * 100, 1)}%`,
                            }}
                          />
                        </span>
                      )}
                    </td>
                  </tr>
                  {expanded && (
                    <tr className="net-detail">
                      <td colSpan={6}>
                        <div className="net-detail-grid">
                          <Headers title="Request headers" headers={n.request_headers} />
                          <Headers title="Response headers" headers={n.response_headers} />
                          <Body title="Request body" body={n.request_body} />
                          <Body title="Response body" body={n.response_body} />
                        </div>
                      </td>
                    </tr>
                  )}
                </Fragment>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
