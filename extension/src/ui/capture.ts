// The capture page (opened by the toolbar button, one per capture): the screenshot editor, the
// recorder, the report form and sending. Everything typed is saved into the draft as it is typed,
// so closing the tab, a crash, or a failed upload loses nothing.
import { ApiError, apiClient, call } from "../shared/api";
import { type Draft, deleteDraft, getDraft, putDraft } from "../shared/drafts";
import { getLastProject, getSession, normalizeServer, sessionExpired, setLastProject, type Session } from "../shared/settings";
import { bugUrl, freeze, submit } from "../shared/submit";
import type { Project } from "../shared/types";
import { Annotator, type Tool } from "./annotate";

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const draftId = location.hash.slice(1);
let draft: Draft;
let annotator: Annotator | null = null;
let projects: Project[] = [];
let session: Session | null = null;
let retryTimer: ReturnType<typeof setTimeout> | null = null;

function showError(message: string | null): void {
  const el = $("error");
  el.hidden = !message;
  el.textContent = message ?? "";
}

function status(text: string): void {
  $("status").textContent = text;
}

function locked(): boolean {
  return draft.body !== null || draft.status === "sending";
}

function setLocked(): void {
  const lock = locked();
  for (const id of ["project", "title", "description", "severity", "inc-console", "inc-network", "inc-actions", "inc-environment", "keep-original", "record", "drop-video"]) {
    ($(id) as HTMLInputElement).disabled = lock;
  }
  $("canvas").style.pointerEvents = lock ? "none" : "";
  ($("submit") as HTMLButtonElement).disabled = draft.status === "sending";
  $("submit").textContent = draft.result ? "Retry the attachments" : draft.body ? "Send again" : "Send to BugPort";
}

// ---- saving as you type -----------------------------------------------------------------------

let saveTimer: ReturnType<typeof setTimeout> | null = null;
function readForm(): void {
  draft.form.project_id = ($("project") as HTMLSelectElement).value || null;
  draft.form.title = ($("title") as HTMLInputElement).value;
  draft.form.description = ($("description") as HTMLTextAreaElement).value;
  draft.form.severity = ($("severity") as HTMLSelectElement).value as Draft["form"]["severity"];
  draft.form.keep_original = ($("keep-original") as HTMLInputElement).checked;
  for (const k of ["console", "network", "actions", "environment"] as const) draft.form.include[k] = ($(`inc-${k}`) as HTMLInputElement).checked;
}

async function saveNow(): Promise<void> {
  if (saveTimer) clearTimeout(saveTimer);
  saveTimer = null;
  if (locked()) return;
  readForm();
  if (annotator) draft.annotated = annotator.shapes.length ? await annotator.toBlob() : null;
  // Keep what the worker or recorder changed meanwhile (video, snapshot, send state).
  const stored = await getDraft(draft.id);
  if (stored) {
    draft.video = stored.video;
    draft.recording = stored.recording;
    draft.snapshot = stored.snapshot;
  }
  await putDraft(draft);
}

function saveSoon(): void {
  if (saveTimer) clearTimeout(saveTimer);
  saveTimer = setTimeout(() => void saveNow(), 300);
}

// ---- connection and projects -------------------------------------------------------------------

async function loadSession(): Promise<void> {
  session = await getSession();
  const ok = session && !sessionExpired(session);
  $("conn").textContent = ok
    ? `Connected as ${session!.email ?? "you"} to ${normalizeServer(session!.server).base}`
    : session
      ? "Your session has expired: reconnect to send."
      : "Not connected.";
  $("connect").hidden = Boolean(ok);
  $("connect").textContent = session ? "Reconnect" : "Connect to BugPort";
  if (ok) await loadProjects();
}

async function loadProjects(): Promise<void> {
  if (!session) return;
  const api = apiClient(normalizeServer(session.server).base, session.access_token);
  try {
    const [ps, ws] = await Promise.all([
      call(api.GET("/v1/projects", { params: { query: { limit: 100 } } })),
      call(api.GET("/v1/workspaces", { params: { query: { limit: 100 } } })),
    ]);
    projects = ps.data;
    const names = new Map(ws.data.map((w) => [w.id, w.name]));
    const select = $("project") as HTMLSelectElement;
    select.replaceChildren();
    const remembered = draft.form.project_id ?? (await getLastProject());
    for (const p of projects) {
      const o = document.createElement("option");
      o.value = p.id;
      o.textContent = `${p.name} (${p.key})${names.size > 1 ? ` — ${names.get(p.workspace_id) ?? ""}` : ""}`;
      select.append(o);
    }
    if (!projects.length) {
      const o = document.createElement("option");
      o.value = "";
      o.textContent = "No project: create one in the dashboard";
      select.append(o);
    }
    if (remembered && projects.some((p) => p.id === remembered)) select.value = remembered;
    draft.form.project_id = select.value || null;
  } catch (e) {
    showError(e instanceof ApiError ? e.message : String(e));
  }
}

// ---- the screenshot editor --------------------------------------------------------------------

async function setupEditor(): Promise<void> {
  const shot = draft.screenshot;
  if (!shot) {
    $("canvas").hidden = true;
    $("no-shot").hidden = false;
    for (const el of document.querySelectorAll<HTMLElement>(".toolbar, #keep-original")) el.hidden = true;
    return;
  }
  annotator = new Annotator($("canvas") as HTMLCanvasElement, await createImageBitmap(shot));
  annotator.onChange = saveSoon;
  for (const b of document.querySelectorAll<HTMLButtonElement>(".tool")) {
    b.addEventListener("click", () => {
      annotator!.tool = b.dataset.tool as Tool;
      for (const o of document.querySelectorAll(".tool")) o.setAttribute("aria-pressed", String(o === b));
    });
  }
  $("annot-text").addEventListener("input", (e) => (annotator!.text = (e.target as HTMLInputElement).value));
  $("color").addEventListener("input", (e) => (annotator!.color = (e.target as HTMLInputElement).value));
  $("undo").addEventListener("click", () => annotator!.undo());
  $("clear").addEventListener("click", () => annotator!.clear());
}

// ---- recording --------------------------------------------------------------------------------

function showVideo(): void {
  $("video-box").hidden = !draft.video;
  if (draft.video) ($("video") as HTMLVideoElement).src = URL.createObjectURL(draft.video);
}

async function startRecording(): Promise<void> {
  showError(null);
  await saveNow();
  const mic = ($("mic") as HTMLInputElement).checked;
  if (mic) {
    // The recorder runs in an offscreen document, which cannot ask: ask here, once.
    try {
      const s = await navigator.mediaDevices.getUserMedia({ audio: true });
      s.getTracks().forEach((t) => t.stop());
    } catch {
      showError("The microphone was not allowed: recording without it.");
    }
  }
  const here = await chrome.tabs.getCurrent();
  const r = (await chrome.runtime.sendMessage({ type: "record.start", draftId: draft.id, tabId: draft.tab_id, captureTabId: here?.id ?? null, mic })) as { ok: boolean; error?: string };
  if (!r.ok) return showError(`Recording did not start: ${r.error}`);
  $("rec-state").textContent = "Recording the tab… click the BugPort button in the toolbar (or Stop) to finish.";
  $("stop").hidden = false;
  $("record").hidden = true;
}

chrome.runtime.onMessage.addListener((msg: { type?: string; draftId?: string }) => {
  if (msg.type !== "recording.changed" || msg.draftId !== draft.id) return;
  void (async () => {
    const d = await getDraft(draft.id);
    if (!d) return;
    draft.video = d.video;
    draft.recording = d.recording;
    draft.snapshot = d.snapshot;
    $("stop").hidden = true;
    $("record").hidden = false;
    $("rec-state").textContent = d.video && d.recording ? `Recorded ${Math.round(d.recording.duration_ms / 1000)} s.` : (d.screenshot_note ?? "");
    showVideo();
    showCounts();
  })();
});

// ---- sending ----------------------------------------------------------------------------------

function showUploads(d: Draft, progress?: { index: number; sent: number; total: number }): void {
  const box = $("uploads");
  for (const u of d.uploads) {
    let row = box.querySelector<HTMLElement>(`[data-index="${u.index}"]`);
    if (!row) {
      row = document.createElement("div");
      row.className = "upload";
      row.dataset.index = String(u.index);
      const name = document.createElement("span");
      const bar = document.createElement("progress");
      bar.max = 1;
      bar.value = 0;
      const state = document.createElement("span");
      state.className = "muted";
      row.append(name, bar, state);
      box.append(row);
    }
    const [name, bar, state] = Array.from(row.children) as [HTMLElement, HTMLProgressElement, HTMLElement];
    name.textContent = u.filename;
    if (progress && progress.index === u.index && progress.total) bar.value = progress.sent / progress.total;
    if (u.state === "ready") bar.value = 1;
    state.textContent = u.state === "ready" ? "uploaded" : u.error ? `failed: ${u.error}` : u.state === "failed" ? "failed" : "";
    row.setAttribute("aria-label", `${u.filename}: ${state.textContent || "uploading"}`);
  }
}

function showResult(d: Draft): void {
  if (!d.result) return;
  const a = $("result-link") as HTMLAnchorElement;
  a.href = bugUrl(d.server, d.result.bug.id);
  a.textContent = `${d.result.bug.key}: ${d.result.bug.title}`;
  $("result").hidden = false;
}

function render(d: Draft): void {
  draft = d;
  setLocked();
  showUploads(d);
  showResult(d);
  if (d.status === "done") {
    status("Sent. All attachments are uploaded.");
    showError(null);
    $("submit").hidden = true;
    $("discard").hidden = true;
  } else if (d.status === "queued") {
    status("Saved as a draft: it is sent again automatically (every few seconds while this page is open, every minute otherwise).");
    showError(d.error?.message ?? null);
  } else if (d.status === "needs_attention") {
    showError(d.error?.message ?? "The capture could not be sent.");
    status("Saved as a draft.");
  } else if (d.status === "sending") {
    status(d.result ? "Uploading attachments…" : "Sending…");
    showError(null);
  }
}

function scheduleRetry(d: Draft): void {
  if (retryTimer) clearTimeout(retryTimer);
  retryTimer = null;
  const tokenProblem = d.status === "needs_attention" && d.error?.code === "token_expired";
  if (d.status !== "queued" && !tokenProblem) return;
  retryTimer = setTimeout(() => void send(false), tokenProblem ? 5000 : 2000);
}

async function send(fromButton: boolean): Promise<void> {
  if (fromButton) showError(null);
  if (!draft.body) {
    await saveNow();
    const project = projects.find((p) => p.id === draft.form.project_id);
    if (!draft.form.title.trim()) {
      showError("Give the bug a title.");
      $("title").focus();
      return;
    }
    if (!project) {
      showError(session && !sessionExpired(session) ? "Pick a project." : "Connect the extension to BugPort first (the capture is kept).");
      return;
    }
    await setLastProject(project.id);
    freeze(draft, project);
    draft.status = "queued";
    await putDraft(draft);
  }
  render({ ...draft, status: "sending" });
  const d = await submit(draft.id, {
    progress: (index, sent, total) => showUploads(draft, { index, sent, total }),
    changed: (x) => render(x),
  });
  if (!d) return;
  // A definite refusal before the bug exists (project gone, validation): let the user fix it.
  if (d.status === "needs_attention" && !d.result && d.error?.code !== "token_expired") {
    d.body = null;
    d.files = [];
    await putDraft(d);
  }
  render(d);
  scheduleRetry(d);
}

// ---- page setup -------------------------------------------------------------------------------

function showCounts(): void {
  const s = draft.snapshot;
  $("n-console").textContent = s ? `(${s.logs.length})` : "(not recorded)";
  $("n-network").textContent = s ? `(${s.network.length})` : "(not recorded)";
  $("n-actions").textContent = s ? `(${s.actions.length})` : "(not recorded)";
  const ol = $("steps");
  ol.replaceChildren(
    ...(s?.actions ?? []).map((a) => {
      const li = document.createElement("li");
      li.textContent = `${a.type} ${a.target ?? ""} ${a.detail ?? ""}`.trim();
      return li;
    }),
  );
}

async function init(): Promise<void> {
  const d = draftId ? await getDraft(draftId) : undefined;
  if (!d) {
    $("main").replaceChildren(Object.assign(document.createElement("p"), { className: "page", textContent: "This capture is no longer here: it was sent or discarded." }));
    return;
  }
  draft = d;
  document.title = `New bug — ${d.snapshot?.title || "BugPort"}`;
  ($("title") as HTMLInputElement).value = d.form.title;
  ($("description") as HTMLTextAreaElement).value = d.form.description;
  ($("severity") as HTMLSelectElement).value = d.form.severity;
  ($("keep-original") as HTMLInputElement).checked = d.form.keep_original;
  for (const k of ["console", "network", "actions", "environment"] as const) ($(`inc-${k}`) as HTMLInputElement).checked = d.form.include[k];
  const notes = [d.screenshot_note, d.snapshot_note].filter(Boolean) as string[];
  $("notes").replaceChildren(...notes.map((n) => Object.assign(document.createElement("p"), { textContent: n })));
  showCounts();
  showVideo();
  await setupEditor();
  for (const id of ["title", "description", "severity", "project", "keep-original", "inc-console", "inc-network", "inc-actions", "inc-environment"]) {
    $(id).addEventListener("input", saveSoon);
    $(id).addEventListener("change", saveSoon);
  }
  $("form").addEventListener("submit", (e) => {
    e.preventDefault();
    void send(true);
  });
  $("connect").addEventListener("click", () => void chrome.runtime.sendMessage({ type: "connect.begin" }));
  $("record").addEventListener("click", () => void startRecording());
  $("stop").addEventListener("click", () => void chrome.runtime.sendMessage({ type: "record.stop" }));
  $("drop-video").addEventListener("click", () => {
    draft.video = null;
    draft.recording = null;
    void putDraft(draft).then(showVideo);
  });
  $("discard").addEventListener("click", () => {
    if (!confirm("Discard this capture? Nothing is sent.")) return;
    void deleteDraft(draft.id).then(() => window.close());
  });
  chrome.storage.onChanged.addListener((changes) => {
    if (changes.session) void loadSession().then(() => scheduleRetry(draft));
  });
  window.addEventListener("beforeunload", () => void saveNow());
  await loadSession();
  render(draft);
  if (draft.body && draft.status !== "done") scheduleRetry(draft);
  ($("title") as HTMLInputElement).focus();
}

void init();
