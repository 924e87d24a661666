import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import type { LogEntry, NetworkEntry } from "../api/client";

/** Entries this close before the playhead count as "now" (highlighted while the video plays). */
const CURRENT_WINDOW_MS = 500;

/** The report's start: the earliest captured console or network time (else the fallback, the
 * report's creation). Every time on the bug page is shown relative to it, and a recording is
 * taken to start there (its second 0 is this instant). */
export function captureZero(logs: LogEntry[] | undefined, network: NetworkEntry[] | undefined, fallback: string): string {
  let best = Number.POSITIVE_INFINITY;
  let iso = fallback;
  const consider = (t: string | null | undefined) => {
    if (!t) return;
    const ms = Date.parse(t);
    if (!Number.isNaN(ms) && ms < best) {
      best = ms;
      iso = t;
    }
  };
  for (const l of logs ?? []) consider(l.timestamp);
  for (const n of network ?? []) consider(n.started_at);
  return iso;
}

export interface VideoClock {
  /** Give this to the `<video>` element's `ref`. */
  ref: (el: HTMLVideoElement | null) => void;
  /** The playhead, in seconds from the recording's start. */
  now: number;
  /** The video's length in seconds (0 until known). */
  duration: number;
  playing: boolean;
  seek: (seconds: number) => void;
}

/** Follows a `<video>`'s playhead: every frame while it plays, and on every seek. */
export function useVideoClock(): VideoClock {
  const [el, setEl] = useState<HTMLVideoElement | null>(null);
  const [now, setNow] = useState(0);
  const [duration, setDuration] = useState(0);
  const [playing, setPlaying] = useState(false);
  useEffect(() => {
    if (!el) return;
    let raf = 0;
    const read = () => setNow(el.currentTime);
    const tick = () => {
      read();
      if (!el.paused && !el.ended) raf = requestAnimationFrame(tick);
    };
    const onPlay = () => {
      setPlaying(true);
      cancelAnimationFrame(raf);
      raf = requestAnimationFrame(tick);
    };
    const onStop = () => {
      setPlaying(false);
      cancelAnimationFrame(raf);
      read();
    };
    const onMeta = () => setDuration(Number.isFinite(el.duration) ? el.duration : 0);
    const events: [string, () => void][] = [
      ["timeupdate", read],
      ["seeking", read],
      ["seeked", read],
      ["play", onPlay],
      ["pause", onStop],
      ["ended", onStop],
      ["loadedmetadata", onMeta],
      ["durationchange", onMeta],
    ];
    for (const [name, fn] of events) el.addEventListener(name, fn);
    onMeta();
    read();
    return () => {
      cancelAnimationFrame(raf);
      for (const [name, fn] of events) el.removeEventListener(name, fn);
    };
  }, [el]);
  const seek = useCallback(
    (seconds: number) => {
      if (!el) return;
      const max = Number.isFinite(el.duration) && el.duration > 0 ? el.duration : seconds;
      el.currentTime = Math.min(Math.max(seconds, 0), max);
      setNow(el.currentTime);
    },
    [el],
  );
  return { ref: setEl, now, duration, playing, seek };
}

interface TimedEntry {
  id: string;
  at: number; // ms from the zero
  kind: "console" | "network";
  tag: string;
  text: string;
  bad: boolean;
}

function clock(ms: number): string {
  return ms < 1000 ? `+${Math.round(ms)} ms` : `+${(ms / 1000).toFixed(2)} s`;
}

/** Console and network on one timeline, relative to the report's start; with a recording, the
 * video's playhead runs along it: a click on an entry seeks the video there, and the entries at
 * the playing position are highlighted. */
export function CaptureTimeline({
  logs,
  network,
  zero,
  video,
}: {
  logs: LogEntry[];
  network: NetworkEntry[];
  zero: string;
  video: VideoClock | null;
}) {
  const t0 = Date.parse(zero);
  const { entries, untimed } = useMemo(() => {
    const out: TimedEntry[] = [];
    let missing = 0;
    for (const l of logs) {
      const ms = l.timestamp ? Date.parse(l.timestamp) - t0 : NaN;
      if (Number.isNaN(ms)) missing++;
      else out.push({ id: `log-${l.position}`, at: ms, kind: "console", tag: l.level, text: l.message, bad: l.level === "error" });
    }
    for (const n of network) {
      const ms = n.started_at ? Date.parse(n.started_at) - t0 : NaN;
      if (Number.isNaN(ms)) missing++;
      else
        out.push({
          id: `net-${n.position}`,
          at: ms,
          kind: "network",
          tag: n.method,
          text: `${n.url}${n.status ? ` → ${n.status}` : n.error ? ` → ${n.error}` : ""}`,
          bad: n.failed,
        });
    }
    out.sort((a, b) => a.at - b.at || a.id.localeCompare(b.id));
    return { entries: out, untimed: missing };
  }, [logs, network, t0]);

  const nowMs = video ? video.now * 1000 : null;
  const current = useMemo(() => {
    if (nowMs == null) return new Set<string>();
    const inWindow = entries.filter((e) => e.at <= nowMs && e.at > nowMs - CURRENT_WINDOW_MS);
    if (inWindow.length) return new Set(inWindow.map((e) => e.id));
    const before = entries.filter((e) => e.at <= nowMs);
    const last = before[before.length - 1];
    return new Set(last ? before.filter((e) => e.at === last.at).map((e) => e.id) : []);
  }, [entries, nowMs]);

  // While the video plays, keep the current entry in view (not while the user scrolls a paused one).
  const listRef = useRef<HTMLOListElement>(null);
  const firstCurrent = entries.find((e) => current.has(e.id))?.id;
  useEffect(() => {
    if (!video?.playing || !firstCurrent) return;
    listRef.current?.querySelector<HTMLElement>(`[data-entry="${firstCurrent}"]`)?.scrollIntoView({ block: "nearest" });
  }, [firstCurrent, video?.playing]);

  const span = Math.max(video?.duration ? video.duration * 1000 : 0, entries.length ? entries[entries.length - 1]!.at : 0, 1);

  return (
    <section className="viewer capture-timeline" aria-label="Timeline">
      {video && (
        <div className="playhead-track">
          <div className="track-marks" aria-hidden="true">
            {entries.map((e) => (
              <span
                key={e.id}
                className={`mark mark-${e.kind}${e.bad ? " bad" : ""}`}
                style={{ left: `${Math.min((e.at / span) * 100, 100)}%` }}
              />
            ))}
            <span className="playhead" style={{ left: `${Math.min(((nowMs ?? 0) / span) * 100, 100)}%` }} />
          </div>
          <input
            type="range"
            className="track-range"
            aria-label="Playhead"
            min={0}
            max={span / 1000}
            step={0.05}
            value={Math.min(video.now, span / 1000)}
            aria-valuetext={clock(video.now * 1000)}
            onChange={(e) => video.seek(Number(e.target.value))}
          />
          <span className="muted small" data-testid="playhead-time">
            {clock(video.now * 1000)}
          </span>
        </div>
      )}
      {entries.length === 0 ? (
        <p className="muted">No console entries or requests with a time were captured.</p>
      ) : (
        <ol className="timeline-entries" ref={listRef}>
          {entries.map((e) => {
            const isCurrent = current.has(e.id);
            const past = nowMs != null && e.at <= nowMs && !isCurrent;
            const body = (
              <>
                <span className="log-time">{clock(e.at)}</span>
                <span className={`tl-kind tl-${e.kind}`}>{e.kind === "console" ? "console" : "network"}</span>
                <span className={`tl-tag${e.bad ? " bad" : ""}`}>{e.tag}</span>
                <span className="tl-text">{e.text}</span>
              </>
            );
            return (
              <li
                key={e.id}
                data-entry={e.id}
                data-testid="timeline-entry"
                className={`tl-entry${isCurrent ? " is-current" : ""}${past ? " is-past" : ""}${e.bad ? " bad" : ""}`}
                aria-current={isCurrent ? "true" : undefined}
              >
                {video ? (
                  <button type="button" className="tl-seek" onClick={() => video.seek(e.at / 1000)} aria-label={`Play from ${clock(e.at)}: ${e.tag} ${e.text}`}>
                    {body}
                  </button>
                ) : (
                  <div className="tl-seek">{body}</div>
                )}
              </li>
            );
          })}
        </ol>
      )}
      {untimed > 0 && (
        <p className="muted small">
          {untimed} {untimed === 1 ? "entry has" : "entries have"} no time and {untimed === 1 ? "is" : "are"} listed only under Console or Network.
        </p>
      )}
    </section>
  );
}
