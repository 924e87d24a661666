// Sending a draft: one POST /v1/plugin/captures (the bug, its logs and network, the attachments'
// descriptions) with the draft's Idempotency-Key, then each attachment PUT to its upload URL and
// completed. An attachment that fails is marked failed on the server and retried with a fresh URL;
// the bug is never lost. Offline or a 5xx keeps the draft queued for a retry with the same key.
import { Redactor } from "../../../widget/src/redact";
import { ApiError, apiClient, call, putFile, type Api } from "./api";
import { type Draft, type FileSpec, type UploadState, deleteDraft, getDraft, putDraft } from "./drafts";
import { API_LIMITS } from "./limits";
import { getSession, normalizeServer, rememberSent, sessionExpired } from "./settings";
import type { Action, CaptureCreate, LogIn, NetworkIn, PageSnapshot, Project } from "./types";

export const MAX_UPLOAD_ATTEMPTS = 3;

export interface Hooks {
  progress?: (index: number, sent: number, total: number) => void;
  changed?: (d: Draft) => void;
}

function version(): string {
  try {
    return chrome.runtime.getManifest().version;
  } catch {
    return "dev";
  }
}

/** Repro steps as the Markdown list the dashboard shows. */
export function reproSteps(actions: Action[]): string {
  const lines = actions.map((a, i) => {
    const what =
      a.type === "navigate"
        ? `Opened ${a.detail ?? ""}`
        : a.type === "click"
          ? `Clicked ${a.target ?? ""}`
          : a.type === "input"
            ? `In ${a.target ?? ""}: ${a.detail ?? "typed (value masked)"}`
            : a.type === "change"
              ? `Changed ${a.target ?? ""}: ${a.detail ?? ""}`
              : a.type === "submit"
                ? `Submitted ${a.target ?? "a form"}`
                : `Pressed ${a.detail ?? "a key"} in ${a.target ?? "the page"}`;
    return `${i + 1}. ${what.replace(/\s+/g, " ").trim()}`;
  });
  let out = lines.join("\n");
  while (out.length > API_LIMITS.maxReproStepsChars && lines.length > 1) {
    lines.shift();
    out = "…earlier steps cut\n" + lines.join("\n");
  }
  return out;
}

const size = (v: unknown) => new TextEncoder().encode(JSON.stringify(v)).length;
const cut = (s: string | null | undefined, n: number) => (s == null ? s : s.length > n ? s.slice(0, n - 12) + "…[truncated]" : s);

/** The project's own redaction names on top of the built-in ones (the page already applied those). */
export function redactAgain(snapshot: PageSnapshot, project: Pick<Project, "redact_headers" | "redact_params"> | null) {
  const r = new Redactor(project?.redact_headers ?? [], project?.redact_params ?? []);
  const logs: LogIn[] = snapshot.logs.map((l) => ({
    ...l,
    message: cut(r.text(l.message), API_LIMITS.maxMessageChars) ?? "",
    args: (l.args ?? []).map((a) => (typeof a === "string" ? r.text(a) : a)),
    stack: l.stack ? cut(r.text(l.stack), API_LIMITS.maxStackChars) : null,
  }));
  const network: NetworkIn[] = snapshot.network.map((n) => ({
    ...n,
    url: cut(r.url(n.url), API_LIMITS.maxUrlChars) ?? "",
    request_headers: r.headerMap(n.request_headers ?? {}),
    response_headers: r.headerMap(n.response_headers ?? {}),
    request_body: n.request_body != null ? cut(r.body(n.request_body), API_LIMITS.maxBodyChars) : null,
    response_body: n.response_body != null ? cut(r.body(n.response_body), API_LIMITS.maxBodyChars) : null,
  }));
  return { logs, network, page_url: r.url(snapshot.page_url), redactor: r };
}

/** Drop the oldest entries (bodies first, for network) until each list fits the API's byte limits. */
export function fitToLimits(logs: LogIn[], network: NetworkIn[]): { logs: LogIn[]; network: NetworkIn[]; cut: boolean } {
  let trimmed = false;
  logs = logs.slice(-API_LIMITS.maxLogs);
  network = network.slice(-API_LIMITS.maxNetwork);
  const logBudget = API_LIMITS.maxLogsBytes * 0.9;
  while (logs.length && size(logs) > logBudget) {
    logs = logs.slice(Math.max(1, Math.floor(logs.length / 10)));
    trimmed = true;
  }
  const netBudget = API_LIMITS.maxNetworkBytes * 0.9;
  for (let i = 0; i < network.length && size(network) > netBudget; i++) {
    const n = network[i]!;
    if (n.request_body || n.response_body) {
      network[i] = { ...n, request_body: n.request_body ? "[body dropped: capture too large]" : null, response_body: n.response_body ? "[body dropped: capture too large]" : null };
      trimmed = true;
    }
  }
  while (network.length && size(network) > netBudget) {
    network = network.slice(Math.max(1, Math.floor(network.length / 10)));
    trimmed = true;
  }
  return { logs, network, cut: trimmed };
}

/** The files a draft uploads, in the order of the request's `attachments`. */
export function filesOf(d: Draft): FileSpec[] {
  const files: FileSpec[] = [];
  const shot = d.annotated ?? d.screenshot;
  if (shot) files.push({ blob: d.annotated ? "annotated" : "screenshot", filename: "screenshot.png", content_type: "image/png", kind: "screenshot" });
  if (d.annotated && d.screenshot && d.form.keep_original)
    files.push({ blob: "screenshot", filename: "screenshot-original.png", content_type: "image/png", kind: "screenshot" });
  if (d.video) files.push({ blob: "video", filename: "recording.webm", content_type: "video/webm", kind: "video" });
  if (d.timeline) files.push({ blob: "timeline", filename: "timeline.json", content_type: "application/json", kind: "attachment" });
  return files;
}

/** Console, network and actions against the recording's start, for aligning with the video. */
export function timeline(body: Pick<CaptureCreate, "logs" | "network">, actions: Action[], startedAt: string, durationMs: number) {
  const t0 = Date.parse(startedAt);
  const at = (ts: string | null | undefined) => (ts ? Date.parse(ts) - t0 : null);
  const entries: { offset_ms: number; type: "log" | "network" | "action"; index: number; summary: string }[] = [];
  (body.logs ?? []).forEach((l, i) => {
    const o = at(l.timestamp);
    if (o !== null) entries.push({ offset_ms: o, type: "log", index: i, summary: `${l.level}: ${l.message.slice(0, 200)}` });
  });
  (body.network ?? []).forEach((n, i) => {
    const o = at(n.started_at);
    if (o !== null) entries.push({ offset_ms: o, type: "network", index: i, summary: `${n.method} ${n.url.slice(0, 200)} → ${n.status ?? n.error ?? "no response"}` });
  });
  actions.forEach((a, i) => {
    const o = at(a.timestamp);
    if (o !== null) entries.push({ offset_ms: o, type: "action", index: i, summary: `${a.type} ${a.target ?? a.detail ?? ""}`.trim() });
  });
  entries.sort((a, b) => a.offset_ms - b.offset_ms);
  return { version: 1, recording_started_at: startedAt, duration_ms: durationMs, entries };
}

/** Freeze what will be sent: from here on every retry sends exactly this body with the same key. */
export function freeze(d: Draft, project: Pick<Project, "id" | "redact_headers" | "redact_params">): void {
  const snap: PageSnapshot = d.snapshot ?? {
    page_url: "",
    title: "",
    environment: {},
    logs: [],
    network: [],
    actions: [],
    started_at: d.created_at,
    taken_at: d.created_at,
  };
  const inc = d.form.include;
  const again = redactAgain(
    { ...snap, logs: inc.console ? snap.logs : [], network: inc.network ? snap.network : [] },
    project,
  );
  const fitted = fitToLimits(again.logs, again.network);
  const actions = inc.actions ? snap.actions.map((a) => ({ ...a, detail: a.detail ? again.redactor.text(a.detail) : a.detail })) : [];
  const body: CaptureCreate = {
    project_id: project.id,
    title: d.form.title.trim().slice(0, API_LIMITS.maxTitleChars),
    description: d.form.description.trim() ? d.form.description.slice(0, API_LIMITS.maxDescriptionChars) : null,
    severity: d.form.severity,
    status: "open",
    priority: "none",
    page_url: again.page_url || null,
    environment: inc.environment ? snap.environment : {},
    repro_steps: actions.length ? reproSteps(actions) : null,
    logs: fitted.logs,
    network: fitted.network,
    metadata: {
      extension: {
        version: version(),
        captured_at: snap.taken_at,
        page_title: snap.title.slice(0, 300),
        ...(fitted.cut ? { trimmed: "older console/network entries were cut to fit the API's limits" } : {}),
        ...(d.recording ? { recording: { started_at: d.recording.started_at, duration_ms: d.recording.duration_ms, mic: d.recording.mic, timeline: "timeline.json" } } : {}),
      },
    },
    attachments: [],
  };
  d.timeline = d.recording
    ? new Blob([JSON.stringify(timeline(body, actions, d.recording.started_at, d.recording.duration_ms))], { type: "application/json" })
    : null;
  d.files = filesOf(d);
  body.attachments = d.files.map((f) => ({ filename: f.filename, content_type: f.content_type, size_bytes: blobOf(d, f)!.size, kind: f.kind }));
  d.body = body;
}

function blobOf(d: Draft, f: FileSpec): Blob | null {
  return d[f.blob];
}

/** Dashboard link of a bug. */
export function bugUrl(server: string, bugId: string): string {
  return `${normalizeServer(server).base}/bugs/${bugId}`;
}

function backoff(attempts: number): number {
  return Date.now() + Math.min(30_000 * 2 ** Math.max(0, attempts - 1), 10 * 60_000);
}

async function uploadOne(api: Api, d: Draft, u: UploadState, hooks: Hooks, save: () => Promise<void>): Promise<void> {
  const f = d.files[u.index];
  const blob = f ? blobOf(d, f) : null;
  if (!f || !blob || !d.result) {
    u.state = "failed";
    u.error = "The file is no longer in the draft.";
    return;
  }
  const bugId = d.result.bug.id;
  const slot = d.result.attachments[u.index];
  let upload = u.attempts === 0 && slot?.upload ? slot.upload : null;
  for (;;) {
    if (!upload) {
      if (u.media_id && u.state === "pending") {
        // Give the old upload up (its URL may have expired); if it was in fact completed, keep it.
        try {
          await call(api.POST("/v1/plugin/media/{media_id}/fail", { params: { path: { media_id: u.media_id } }, body: { reason: "retrying the upload" } }));
        } catch (e) {
          if (e instanceof ApiError && e.transient) throw e;
          if (e instanceof ApiError && e.status === 409) {
            const m = await call(api.GET("/v1/media/{media_id}", { params: { path: { media_id: u.media_id } } }));
            if (m.status === "ready") {
              u.state = "ready";
              u.error = null;
              await save();
              return;
            }
          }
        }
      }
      const r = await call(
        api.POST("/v1/plugin/media/upload-url", {
          body: { filename: f.filename, content_type: f.content_type, size_bytes: blob.size, kind: f.kind, bug_id: bugId },
        }),
      );
      u.media_id = r.media_id;
      u.state = "pending";
      upload = r.upload;
    }
    u.attempts++;
    await save();
    try {
      await putFile(upload.url, upload.headers, blob, hooks.progress ? (s, t) => hooks.progress!(u.index, s, t) : undefined);
      await call(api.POST("/v1/plugin/media/complete", { body: { media_id: u.media_id! } }));
      u.state = "ready";
      u.error = null;
      await save();
      return;
    } catch (e) {
      const err = e instanceof ApiError ? e : new ApiError(0, "upload_failed", String(e));
      u.error = err.message;
      await save();
      // The API itself unreachable: stop here, the whole draft is retried later.
      if (err.code === "network_error" || (err.transient && err.status !== 0)) throw err;
      if (u.attempts >= MAX_UPLOAD_ATTEMPTS * (1 + Math.floor(d.attempts / 2))) {
        // Tell the server (so the reservation goes), keep the draft for a later retry.
        try {
          await call(api.POST("/v1/plugin/media/{media_id}/fail", { params: { path: { media_id: u.media_id! } }, body: { reason: err.message.slice(0, 200) } }));
          u.state = "failed";
        } catch {
          /* the server will sweep it */
        }
        await save();
        return;
      }
      upload = null;
    }
  }
}

/**
 * Send (or resume sending) one draft. Safe to call from several places at once (capture page,
 * worker retry): a Web Lock lets one of them run. Returns the draft as it ended up.
 */
export async function submit(id: string, hooks: Hooks = {}): Promise<Draft | undefined> {
  const run = async (): Promise<Draft | undefined> => {
    const d = await getDraft(id);
    if (!d || !d.body) return d;
    const save = async () => {
      await putDraft(d);
      hooks.changed?.(d);
    };
    const session = await getSession();
    if (!session || sessionExpired(session) || normalizeServer(session.server).base !== normalizeServer(d.server).base) {
      d.status = "needs_attention";
      d.error = { status: 401, code: "token_expired", message: "Your BugPort session has expired or you are signed out: reconnect the extension, then this draft is sent." };
      await save();
      return d;
    }
    const api = apiClient(normalizeServer(d.server).base, session.access_token);
    d.status = "sending";
    d.attempts++;
    d.error = null;
    await save();
    try {
      if (!d.result) {
        const r = await call(api.POST("/v1/plugin/captures", { body: d.body, headers: { "Idempotency-Key": d.idempotency_key } }));
        d.result = { bug: r.bug, attachments: r.attachments };
        d.uploads = r.attachments.map((a) => ({
          index: a.index,
          filename: a.filename,
          media_id: a.media_id,
          state: a.error ? "failed" : "pending",
          attempts: 0,
          error: a.error ? a.error.message : null,
        }));
        await save();
      }
      for (const u of d.uploads) {
        if (u.state === "ready") continue;
        if (u.state === "failed" && u.attempts >= MAX_UPLOAD_ATTEMPTS * (1 + Math.floor(d.attempts / 2))) continue;
        try {
          await uploadOne(api, d, u, hooks, save);
        } catch (e) {
          if (e instanceof ApiError && !e.transient && e.status !== 0) {
            // e.g. quota exceeded for this one file: say so, carry on with the others.
            u.state = "failed";
            u.error = e.message;
            await save();
            continue;
          }
          throw e;
        }
      }
      if (d.uploads.every((u) => u.state === "ready")) {
        d.status = "done";
        await save();
        await rememberSent({ bug_id: d.result.bug.id, key: d.result.bug.key, title: d.result.bug.title, url: bugUrl(d.server, d.result.bug.id), at: new Date().toISOString() });
        await deleteDraft(d.id);
        return d;
      }
      const failed = d.uploads.filter((u) => u.state !== "ready");
      d.status = "queued";
      d.next_attempt_at = backoff(d.attempts);
      d.error = {
        status: 0,
        code: "attachment_failed",
        message: `The bug ${d.result.bug.key} is filed; ${failed.map((u) => `${u.filename}: ${u.error ?? "not uploaded"}`).join("; ")}. The draft keeps the file and retries.`,
      };
      await save();
      return d;
    } catch (e) {
      const err = e instanceof ApiError ? e : new ApiError(0, "error", String(e));
      d.error = { status: err.status, code: err.code, message: err.message };
      if (err.transient) {
        d.status = "queued";
        d.next_attempt_at = backoff(d.attempts);
      } else {
        d.status = "needs_attention";
        d.next_attempt_at = null;
      }
      await save();
      return d;
    }
  };
  if (typeof navigator !== "undefined" && navigator.locks) {
    return navigator.locks.request(`bugport-draft-${id}`, { ifAvailable: true }, async (lock) => (lock ? run() : getDraft(id)));
  }
  return run();
}
