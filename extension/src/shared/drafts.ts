// Drafts: every capture is saved here (IndexedDB of the extension, so screenshots and videos fit)
// from the moment it is taken until the server has confirmed it and every attachment. A failed or
// offline submission stays here and is retried with the same Idempotency-Key.
import type { Capture, CaptureCreate, PageSnapshot } from "./types";

export type DraftStatus = "editing" | "queued" | "sending" | "needs_attention" | "done";

export interface FileSpec {
  /** Where the bytes are in the draft. */
  blob: "screenshot" | "annotated" | "video" | "timeline";
  filename: string;
  content_type: string;
  kind: "screenshot" | "video" | "attachment";
}

export interface UploadState {
  index: number;
  filename: string;
  media_id: string | null;
  state: "pending" | "ready" | "failed";
  attempts: number;
  error: string | null;
}

export interface Draft {
  id: string;
  idempotency_key: string;
  created_at: string;
  updated_at: string;
  server: string;
  tab_id: number | null;
  snapshot: PageSnapshot | null;
  /** Why no console/network was read from the page (restricted page, loaded before install). */
  snapshot_note: string | null;
  screenshot: Blob | null;
  screenshot_note: string | null;
  annotated: Blob | null;
  video: Blob | null;
  recording: { started_at: string; duration_ms: number; mic: boolean } | null;
  form: {
    project_id: string | null;
    title: string;
    description: string;
    severity: "critical" | "high" | "medium" | "low";
    include: { console: boolean; network: boolean; actions: boolean; environment: boolean };
    keep_original: boolean;
  };
  status: DraftStatus;
  /** Frozen at the first send: retries send exactly these bytes with the same key. */
  body: CaptureCreate | null;
  files: FileSpec[];
  timeline: Blob | null;
  result: { bug: Capture["bug"]; attachments: Capture["attachments"] } | null;
  uploads: UploadState[];
  error: { code: string; message: string; status: number } | null;
  attempts: number;
  next_attempt_at: number | null;
}

const DB = "bugport";
const STORE = "drafts";

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: "id" });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function tx<T>(mode: IDBTransactionMode, run: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await open();
  try {
    return await new Promise<T>((resolve, reject) => {
      const t = db.transaction(STORE, mode);
      const req = run(t.objectStore(STORE));
      t.oncomplete = () => resolve(req.result);
      t.onerror = () => reject(t.error);
      t.onabort = () => reject(t.error);
    });
  } finally {
    db.close();
  }
}

export function newDraft(server: string, init: Partial<Draft> = {}): Draft {
  const now = new Date().toISOString();
  return {
    id: crypto.randomUUID(),
    idempotency_key: `ext-${crypto.randomUUID()}`,
    created_at: now,
    updated_at: now,
    server,
    tab_id: null,
    snapshot: null,
    snapshot_note: null,
    screenshot: null,
    screenshot_note: null,
    annotated: null,
    video: null,
    recording: null,
    form: {
      project_id: null,
      title: "",
      description: "",
      severity: "medium",
      include: { console: true, network: true, actions: true, environment: true },
      keep_original: false,
    },
    status: "editing",
    body: null,
    files: [],
    timeline: null,
    result: null,
    uploads: [],
    error: null,
    attempts: 0,
    next_attempt_at: null,
    ...init,
  };
}

export const getDraft = (id: string) => tx<Draft | undefined>("readonly", (s) => s.get(id) as IDBRequest<Draft | undefined>);
export const allDrafts = () => tx<Draft[]>("readonly", (s) => s.getAll() as IDBRequest<Draft[]>);
export const deleteDraft = (id: string) => tx("readwrite", (s) => s.delete(id));

export async function putDraft(d: Draft): Promise<Draft> {
  d.updated_at = new Date().toISOString();
  await tx("readwrite", (s) => s.put(d));
  return d;
}

/** Read-modify-write one draft (pages and the worker may both touch it). */
export async function updateDraft(id: string, change: (d: Draft) => void): Promise<Draft | undefined> {
  const d = await getDraft(id);
  if (!d) return undefined;
  change(d);
  return putDraft(d);
}

export function dataUrlToBlob(url: string): Blob {
  const [head, data = ""] = url.split(",", 2);
  const type = /data:([^;,]+)/.exec(head ?? "")?.[1] ?? "application/octet-stream";
  const bin = atob(data);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new Blob([bytes], { type });
}
