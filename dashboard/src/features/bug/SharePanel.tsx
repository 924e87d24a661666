import { useState } from "react";
import { ErrorNote } from "../../ui/states";
import { fullTime } from "../../ui/time";
import { useCreateShare, useRevokeShare, useShareLinks } from "./api";

const EXPIRY: [string, number | null][] = [
  ["Never expires", null],
  ["1 day", 1],
  ["7 days", 7],
  ["30 days", 30],
];

export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

/** Public share links of a bug: create (with expiry), copy, list, revoke. */
export function SharePanel({ bugId }: { bugId: string }) {
  const links = useShareLinks(bugId, true);
  const create = useCreateShare(bugId);
  const revoke = useRevokeShare(bugId);
  const [days, setDays] = useState<string>("");
  const [copied, setCopied] = useState<string | null>(null);
  const active = (links.data ?? []).filter((l) => l.active);
  return (
    <section className="panel share-panel" aria-label="Share links">
      <h2>Share</h2>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          const d = days ? Number(days) : null;
          create.mutate(d ? new Date(Date.now() + d * 86400_000).toISOString() : null);
        }}
      >
        <select className="input" aria-label="Link expiry" value={days} onChange={(e) => setDays(e.target.value)}>
          {EXPIRY.map(([label, d]) => (
            <option key={label} value={d ?? ""}>
              {label}
            </option>
          ))}
        </select>
        <button type="submit" className="btn" disabled={create.isPending}>
          Create share link
        </button>
      </form>
      {create.isError && <ErrorNote error={create.error} />}
      {revoke.isError && <ErrorNote error={revoke.error} />}
      {links.isError && <ErrorNote error={links.error} />}
      {active.length > 0 && (
        <ul className="share-links">
          {active.map((l) => (
            <li key={l.id} data-testid="share-link">
              <input className="input mono" readOnly value={l.url} aria-label="Share link URL" onFocus={(e) => e.target.select()} />
              <div className="row small">
                <span className="muted">
                  {l.view_count} view{l.view_count === 1 ? "" : "s"} · {l.expires_at ? `expires ${fullTime(l.expires_at)}` : "no expiry"}
                </span>
                <button
                  type="button"
                  className="btn btn-small"
                  onClick={async () => setCopied((await copyText(l.url)) ? l.id : null)}
                >
                  {copied === l.id ? "Copied" : "Copy"}
                </button>
                <button type="button" className="btn btn-small btn-danger" onClick={() => revoke.mutate(l.id)} disabled={revoke.isPending}>
                  Revoke
                </button>
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
