import { useMemo, useState } from "react";
import type { LogEntry } from "../api/client";
import { offset } from "./time";

const LEVELS = ["error", "warn", "info", "log", "debug"] as const;

function argText(a: unknown): string {
  if (typeof a === "string") return a;
  try {
    return JSON.stringify(a);
  } catch {
    return String(a);
  }
}

/** Console entries as text: level filter, text search, folded stacks, time from the report. */
export function ConsoleViewer({ logs, since }: { logs: LogEntry[]; since: string }) {
  const [levels, setLevels] = useState<Set<string>>(() => new Set(LEVELS));
  const [q, setQ] = useState("");
  const shown = useMemo(() => {
    const needle = q.trim().toLowerCase();
    return logs.filter(
      (l) =>
        levels.has(l.level) &&
        (!needle ||
          l.message.toLowerCase().includes(needle) ||
          (l.stack ?? "").toLowerCase().includes(needle) ||
          l.args.some((a) => argText(a).toLowerCase().includes(needle))),
    );
  }, [logs, levels, q]);
  const toggle = (level: string) =>
    setLevels((prev) => {
      const next = new Set(prev);
      if (next.has(level)) next.delete(level);
      else next.add(level);
      return next;
    });
  return (
    <section className="viewer console-viewer" aria-label="Console">
      <div className="viewer-tools">
        <fieldset className="chips">
          <legend className="sr-only">Levels</legend>
          {LEVELS.map((level) => (
            <label key={level} className={`chip level-${level}`}>
              <input type="checkbox" checked={levels.has(level)} onChange={() => toggle(level)} />
              {level} ({logs.filter((l) => l.level === level).length})
            </label>
          ))}
        </fieldset>
        <input
          type="search"
          className="input"
          placeholder="Search console"
          aria-label="Search console"
          value={q}
          onChange={(e) => setQ(e.target.value)}
        />
      </div>
      {logs.length === 0 ? (
        <p className="muted">No console entries were captured.</p>
      ) : shown.length === 0 ? (
        <p className="muted">No entries match.</p>
      ) : (
        <ol className="log-list">
          {shown.map((l) => (
            <li key={l.position} className={`log-entry level-${l.level}`} data-testid="log-entry">
              <span className="log-time">{offset(l.timestamp, since)}</span>
              <span className={`log-level level-${l.level}`}>{l.level}</span>
              <span className="log-message">
                {l.message}
                {l.args.length > 0 && <span className="log-args"> {l.args.map(argText).join(" ")}</span>}
              </span>
              {l.source && <span className="log-source">{l.source}</span>}
              {l.stack && (
                <details className="log-stack">
                  <summary>Stack trace</summary>
                  <pre>{l.stack}</pre>
                </details>
              )}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
