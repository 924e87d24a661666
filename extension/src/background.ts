// The service worker: the toolbar button (capture the visible tab and what the page recorded,
// open the capture page), the dashboard's session hand-over (externally_connectable), the tab
// recorder (offscreen document), and retrying queued drafts.
import { allDrafts, dataUrlToBlob, newDraft, putDraft, updateDraft } from "./shared/drafts";
import { MAX_RECORD_SECONDS, getSession, getSettings, normalizeServer, setSession, tokenClaims } from "./shared/settings";
import { submit } from "./shared/submit";
import type { CaptureSettings, PageSnapshot } from "./shared/types";

const RETRY_ALARM = "bugport-retry-drafts";

/** Read the page script's buffers (main world), filtered by the user's capture settings. */
async function snapshotOf(tabId: number, settings: CaptureSettings): Promise<PageSnapshot | null> {
  const [r] = await chrome.scripting.executeScript({
    target: { tabId },
    world: "MAIN",
    args: [settings],
    func: (s: CaptureSettings) => {
      const c = (window as unknown as Record<symbol, { snapshot(s: CaptureSettings): unknown } | undefined>)[Symbol.for("bugport.extension.capture")];
      return c ? c.snapshot(s) : null;
    },
  });
  return (r?.result as PageSnapshot | null) ?? null;
}

/** The toolbar button (or Alt+Shift+B): screenshot + snapshot into a new draft, then the capture page. */
export async function startCapture(tab: chrome.tabs.Tab): Promise<string> {
  const settings = await getSettings();
  const session = await getSession();
  const draft = newDraft(session?.server ?? settings.server, { tab_id: tab.id ?? null });
  draft.form.keep_original = settings.keepOriginal;
  try {
    const url = await chrome.tabs.captureVisibleTab(tab.windowId, { format: "png" });
    draft.screenshot = dataUrlToBlob(url);
  } catch (e) {
    draft.screenshot_note = `No screenshot of this tab: ${e instanceof Error ? e.message : String(e)}`;
  }
  if (tab.id !== undefined) {
    try {
      draft.snapshot = await snapshotOf(tab.id, settings.capture);
      if (!draft.snapshot) draft.snapshot_note = "Console and network are recorded from page load: reload the page once to capture them.";
    } catch (e) {
      draft.snapshot_note = `Console and network can't be read on this page (${e instanceof Error ? e.message : String(e)}).`;
    }
  }
  if (!draft.snapshot) {
    draft.form.include = { ...draft.form.include, console: false, network: false, actions: false };
  }
  draft.form.title = "";
  await putDraft(draft);
  await chrome.tabs.create({ url: chrome.runtime.getURL(`capture.html#${draft.id}`), index: tab.index + 1, openerTabId: tab.id });
  return draft.id;
}

// ---- recording ---------------------------------------------------------------------------------

interface Recording {
  draftId: string;
  tabId: number;
  captureTabId: number | null;
  startedAt: string;
}

async function currentRecording(): Promise<Recording | null> {
  const { recording } = (await chrome.storage.session.get("recording")) as { recording?: Recording };
  return recording ?? null;
}

async function ensureOffscreen(): Promise<void> {
  const has = await chrome.offscreen.hasDocument();
  if (!has) {
    await chrome.offscreen.createDocument({
      url: "offscreen.html",
      reasons: [chrome.offscreen.Reason.USER_MEDIA],
      justification: "Record the tab the user chose (MediaRecorder, WebM).",
    });
  }
}

async function startRecording(draftId: string, tabId: number, captureTabId: number | null, mic: boolean): Promise<void> {
  if (await currentRecording()) throw new Error("A recording is already running.");
  const settings = await getSettings();
  const streamId = await chrome.tabCapture.getMediaStreamId({ targetTabId: tabId });
  await ensureOffscreen();
  // The tab must be visible to deliver frames: show it before the recorder starts.
  await chrome.tabs.update(tabId, { active: true });
  await chrome.storage.session.set({ recording: { draftId, tabId, captureTabId, startedAt: new Date().toISOString() } satisfies Recording });
  const limit = Math.min(Math.max(settings.maxRecordSeconds, 1), MAX_RECORD_SECONDS);
  const r = (await chrome.runtime.sendMessage({ target: "offscreen", type: "record.start", streamId, draftId, mic, limitSeconds: limit })) as {
    ok: boolean;
    startedAt?: string;
    error?: string;
  };
  if (!r?.ok) {
    await chrome.storage.session.remove("recording");
    throw new Error(r?.error ?? "The recorder did not start.");
  }
  await chrome.action.setBadgeText({ text: "REC" });
  await chrome.action.setBadgeBackgroundColor({ color: "#d00" });
}

async function stopRecording(): Promise<void> {
  if (!(await currentRecording())) return;
  await chrome.runtime.sendMessage({ target: "offscreen", type: "record.stop" });
}

/** The offscreen recorder saved the video into the draft: add the timeline's second snapshot.
 * `startedAt` is the recorder's own start (the video's time zero), so offsets line up. */
async function recordingDone(draftId: string, startedAt: string, durationMs: number, mic: boolean, error?: string): Promise<void> {
  const rec = await currentRecording();
  await chrome.storage.session.remove("recording");
  await chrome.action.setBadgeText({ text: "" });
  const settings = await getSettings();
  let snapshot: PageSnapshot | null = null;
  if (rec) {
    try {
      snapshot = await snapshotOf(rec.tabId, settings.capture);
    } catch {
      /* the tab is gone or navigated away: keep the first snapshot */
    }
  }
  await updateDraft(draftId, (d) => {
    if (snapshot) d.snapshot = snapshot;
    if (d.video) d.recording = { started_at: startedAt, duration_ms: durationMs, mic };
    if (error) d.screenshot_note = `Recording failed: ${error}`;
  });
  if (rec?.captureTabId != null) await chrome.tabs.update(rec.captureTabId, { active: true }).catch(() => undefined);
  await chrome.runtime.sendMessage({ type: "recording.changed", draftId }).catch(() => undefined);
  await chrome.offscreen.closeDocument().catch(() => undefined);
}

chrome.action.onClicked.addListener((tab) => {
  void (async () => {
    if (await currentRecording()) return stopRecording();
    await startCapture(tab);
  })();
});

// ---- messages from the extension's own pages ---------------------------------------------------

chrome.runtime.onMessage.addListener((msg: Record<string, unknown>, _sender, reply) => {
  if (msg.target === "offscreen") return false;
  const done = (p: Promise<unknown>) => {
    p.then(
      (v) => reply({ ok: true, value: v }),
      (e: unknown) => reply({ ok: false, error: e instanceof Error ? e.message : String(e) }),
    );
    return true;
  };
  switch (msg.type) {
    case "record.start":
      return done(startRecording(String(msg.draftId), Number(msg.tabId), msg.captureTabId == null ? null : Number(msg.captureTabId), Boolean(msg.mic)));
    case "record.stop":
      return done(stopRecording());
    case "record.state":
      return done(currentRecording());
    case "record.done":
      return done(recordingDone(String(msg.draftId), String(msg.startedAt), Number(msg.durationMs), Boolean(msg.mic), msg.error ? String(msg.error) : undefined));
    case "connect.begin":
      return done(beginConnect());
    case "drafts.retry":
      return done(retryDrafts(true));
    default:
      return false;
  }
});

// ---- connecting: the dashboard's connect page hands over a session -----------------------------

interface Pending {
  nonce: string;
  server: string;
  created: number;
}

/** Open the dashboard's connect page; the nonce ties its answer to this request. */
async function beginConnect(): Promise<void> {
  const settings = await getSettings();
  const { base } = normalizeServer(settings.server);
  const nonce = crypto.randomUUID();
  await chrome.storage.session.set({ pendingConnect: { nonce, server: base, created: Date.now() } satisfies Pending });
  const q = new URLSearchParams({ extension_id: chrome.runtime.id, nonce });
  await chrome.tabs.create({ url: `${base}/connect/extension?${q}` });
}

interface Handover {
  type: "bugport.connect" | "bugport.session";
  nonce?: string;
  access_token: string;
  email?: string | null;
  user_id?: string | null;
}

export async function acceptHandover(msg: Handover, senderOrigin: string | undefined): Promise<{ ok: boolean; error?: string }> {
  if (typeof msg.access_token !== "string" || msg.access_token.length < 10) return { ok: false, error: "no session in the message" };
  const settings = await getSettings();
  const server = normalizeServer(settings.server);
  // Only the dashboard of the server the user configured may hand over a session.
  if (senderOrigin !== server.origin) return { ok: false, error: `this extension is set up for ${server.origin}` };
  const claims = tokenClaims(msg.access_token);
  if (msg.type === "bugport.connect") {
    const { pendingConnect } = (await chrome.storage.session.get("pendingConnect")) as { pendingConnect?: Pending };
    if (!pendingConnect || pendingConnect.nonce !== msg.nonce || Date.now() - pendingConnect.created > 15 * 60_000) {
      return { ok: false, error: "no connection was requested from this extension: start from its options page" };
    }
    await chrome.storage.session.remove("pendingConnect");
  } else {
    // A refreshed token for the account already connected (the dashboard pushes these).
    const current = await getSession();
    const same = current && current.sub !== null && current.sub === claims.sub && normalizeServer(current.server).origin === server.origin;
    if (!same) return { ok: false, error: "not connected to this account" };
    await setSession({ ...current, access_token: msg.access_token, expires_at: claims.exp });
    void retryDrafts(true);
    return { ok: true };
  }
  await setSession({
    server: server.base,
    access_token: msg.access_token,
    expires_at: claims.exp,
    email: msg.email ?? claims.email,
    user_id: msg.user_id ?? null,
    sub: claims.sub,
    connected_at: new Date().toISOString(),
  });
  void retryDrafts(true);
  return { ok: true };
}

chrome.runtime.onMessageExternal.addListener((msg: Handover, sender, reply) => {
  if (msg?.type !== "bugport.connect" && msg?.type !== "bugport.session") return false;
  acceptHandover(msg, sender.origin).then(reply, (e: unknown) => reply({ ok: false, error: String(e) }));
  return true;
});

// ---- retrying drafts ---------------------------------------------------------------------------

/** Send every queued draft whose time has come (or all of them, `now`). */
export async function retryDrafts(now = false): Promise<number> {
  let sent = 0;
  for (const d of await allDrafts()) {
    if (!d.body || d.status === "editing" || d.status === "done") continue;
    if (!now && d.next_attempt_at && d.next_attempt_at > Date.now()) continue;
    if (d.status === "needs_attention" && d.error?.code !== "token_expired") continue;
    const r = await submit(d.id);
    if (r?.status === "done") sent++;
  }
  return sent;
}

chrome.alarms.onAlarm.addListener((a) => {
  if (a.name === RETRY_ALARM) void retryDrafts();
});

function ensureAlarm(): void {
  void chrome.alarms.get(RETRY_ALARM).then((a) => {
    if (!a) void chrome.alarms.create(RETRY_ALARM, { periodInMinutes: 1 });
  });
}

chrome.runtime.onInstalled.addListener(ensureAlarm);
chrome.runtime.onStartup.addListener(() => {
  ensureAlarm();
  void retryDrafts();
});
ensureAlarm();

// For tests and the console: the same entry points the toolbar button uses.
Object.assign(globalThis, { bugport: { startCapture, retryDrafts, acceptHandover } });
