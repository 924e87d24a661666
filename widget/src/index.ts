/** @bugport/widget: framework-free core. `init(options)` mounts the launcher and starts capture. */

import { Api, BugPortApiError } from "./api";
import { Capture } from "./capture";
import { environment } from "./environment";
import { type BugPortOptions, type Reporter, resolveOptions } from "./options";
import { Redactor } from "./redact";
import { capturePage } from "./screenshot";
import { type FormValues, Ui } from "./ui";

export type { BugPortOptions, Reporter, Theme } from "./options";
export { DEFAULT_API_BASE_URL } from "./options";
export { BugPortApiError } from "./api";

export interface BugPortWidget {
  open(): void;
  close(): void;
  /** Update who is reporting (e.g. after the host app's sign-in). */
  identify(reporter: Reporter): void;
  setMetadata(metadata: Record<string, unknown>): void;
  /** Remove the launcher and restore console/fetch/XHR. */
  destroy(): void;
}

interface Draft extends FormValues {
  idempotencyKey: string;
  mediaId?: string;
}

function newKey(): string {
  const c: Crypto = window.crypto;
  if (typeof c.randomUUID === "function") return c.randomUUID();
  const b = new Uint8Array(16);
  c.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

export function init(options: BugPortOptions): BugPortWidget {
  const opts = resolveOptions(options);
  const redactor = new Redactor(opts.redactHeaders, opts.redactQueryParams);
  // Our own calls go through the page's fetch as it was before capture wrapped it.
  const api = new Api(opts.apiBaseUrl, opts.publicKey, window.fetch);
  const capture = new Capture(redactor, opts.maxConsoleEntries, opts.maxNetworkEntries, opts.slowRequestMs);
  capture.ignorePrefixes = [opts.apiBaseUrl];
  capture.start();

  const storageKey = `bugport:draft:${opts.publicKey.slice(-8)}`;
  let draft: Draft | null = loadDraft();
  let screenshot: Blob | null = null;
  let screenshotError = "";
  let sending = false;

  function loadDraft(): Draft | null {
    try {
      const raw = sessionStorage.getItem(storageKey);
      return raw ? (JSON.parse(raw) as Draft) : null;
    } catch {
      return null;
    }
  }

  function saveDraft(): void {
    try {
      if (draft) sessionStorage.setItem(storageKey, JSON.stringify(draft));
      else sessionStorage.removeItem(storageKey);
    } catch {
      /* private mode: the in-memory draft still survives a failed send */
    }
  }

  async function takeScreenshot(): Promise<void> {
    screenshot = null;
    screenshotError = "";
    if (!opts.screenshot) return;
    ui.screenshotNote("Taking a screenshot…");
    try {
      screenshot = await capturePage(ui.host);
      ui.screenshotNote(`Screenshot ready (${Math.round(screenshot.size / 1024)} KB).`);
    } catch (err) {
      screenshotError = (err as Error).message;
      ui.screenshotNote(`Screenshot unavailable: ${screenshotError}. The report can still be sent.`);
    }
  }

  async function checkKey(): Promise<void> {
    try {
      await api.check();
    } catch (err) {
      const e = err as BugPortApiError;
      ui.showStatus(e.message, "error");
      // A refused origin or a dead key won't get better by retrying; a network blip might.
      if (e.status === 401 || e.status === 403) ui.blockSending(true);
    }
  }

  function report(values: FormValues, mediaIds: string[]): Record<string, unknown> {
    const { id: reporterId, ...reporter } = opts.reporter;
    if (values.email) reporter.email = values.email;
    const metadata = { ...opts.metadata };
    if (reporterId) metadata.reporter_id = reporterId; // the host app's own user id
    return {
      title: values.title,
      description: values.description || undefined,
      reporter: reporter.name || reporter.email ? reporter : undefined,
      page_url: redactor.url(location.href),
      environment: environment(),
      metadata: Object.keys(metadata).length ? metadata : undefined,
      logs: capture.logs.items.slice(),
      network: capture.network.items.slice(),
      media_ids: mediaIds,
    };
  }

  async function submit(values: FormValues): Promise<void> {
    if (sending) return;
    sending = true;
    // Same draft, same Idempotency-Key: a retry after a lost response creates nothing twice.
    draft = { ...(draft || { idempotencyKey: newKey() }), ...values };
    saveDraft();
    ui.busy(true);
    ui.showStatus("", "info");
    let note = "";
    try {
      if (values.includeScreenshot && !draft.mediaId) {
        if (screenshot) {
          try {
            ui.busy(true, "Uploading screenshot…");
            draft.mediaId = await api.uploadScreenshot(screenshot);
            saveDraft();
          } catch (err) {
            // Never lose the report over its attachment: send without it and say so.
            note = ` The screenshot could not be attached (${(err as Error).message}).`;
          }
        } else if (screenshotError) {
          note = ` No screenshot: ${screenshotError}.`;
        }
      }
      ui.busy(true, "Sending…");
      const bug = await api.submit(report(values, draft.mediaId ? [draft.mediaId] : []), draft.idempotencyKey);
      draft = null;
      saveDraft();
      ui.fill({ title: "", description: "" });
      ui.showStatus(`Thanks! Your report${bug.key ? ` ${bug.key}` : ""} was sent.${note}`, "ok");
      opts.onSubmitted?.(bug);
    } catch (err) {
      const e = err as BugPortApiError;
      const id = e.requestId ? ` (request ${e.requestId})` : "";
      ui.showStatus(`Not sent: ${e.message}${id} Your draft is kept; you can retry.`, "error");
      ui.busy(false);
      ui.retryLabel();
      sending = false;
      return;
    }
    ui.busy(false);
    sending = false;
  }

  const ui = new Ui(opts, {
    onOpen: () => {
      void takeScreenshot();
      void checkKey();
    },
    onSubmit: (v) => void submit(v),
    onInput: (v) => {
      draft = { ...(draft || { idempotencyKey: newKey() }), ...v };
      saveDraft();
    },
  });
  ui.mount();
  if (draft) ui.fill(draft);

  return {
    open: () => ui.open(),
    close: () => ui.close(),
    identify: (r) => {
      opts.reporter = { ...r };
      if (r.email) ui.fill({ email: r.email });
    },
    setMetadata: (m) => {
      opts.metadata = { ...m };
    },
    destroy: () => {
      capture.stop();
      ui.unmount();
    },
  };
}
