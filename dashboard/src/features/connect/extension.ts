// Handing the signed-in session to the BugPort browser extension (extension/), through Chrome's
// `externally_connectable` messaging: the token goes from this page straight to the extension,
// never through a URL or the clipboard. Extensions this browser approved are remembered, so a
// reconnect (expired session) goes through without asking, and refreshed tokens are pushed on.
import { getToken, onTokenChange } from "../../api/token";

const APPROVED = "bugport.extensions";

type Reply = { ok?: boolean; error?: string } | undefined;
interface ChromeRuntime {
  sendMessage(id: string, message: unknown, reply: (r: Reply) => void): void;
  lastError?: { message?: string };
}

function runtime(): ChromeRuntime | null {
  const c = (window as unknown as { chrome?: { runtime?: ChromeRuntime } }).chrome;
  return c?.runtime && typeof c.runtime.sendMessage === "function" ? c.runtime : null;
}

/** Chrome extension ids: 32 letters a–p. */
export function validExtensionId(id: string): boolean {
  return /^[a-p]{32}$/.test(id);
}

export function approved(): string[] {
  try {
    const v = JSON.parse(localStorage.getItem(APPROVED) ?? "[]") as unknown;
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string" && validExtensionId(x)) : [];
  } catch {
    return [];
  }
}

export function approve(id: string): void {
  try {
    localStorage.setItem(APPROVED, JSON.stringify([id, ...approved().filter((x) => x !== id)].slice(0, 5)));
  } catch {
    // storage disabled: the next reconnect asks again
  }
}

export function forget(id: string): void {
  try {
    localStorage.setItem(APPROVED, JSON.stringify(approved().filter((x) => x !== id)));
  } catch {
    // nothing stored
  }
}

export interface Handover {
  type: "bugport.connect" | "bugport.session";
  nonce?: string;
  access_token: string;
  email: string | null;
  user_id: string | null;
}

export function sendToExtension(id: string, message: Handover): Promise<void> {
  const rt = runtime();
  if (!rt) {
    return Promise.reject(
      new Error("The BugPort extension is not installed in this browser, or it is not set up for this address (see docs/extension.md)."),
    );
  }
  return new Promise((resolve, reject) => {
    rt.sendMessage(id, message, (reply) => {
      if (rt.lastError || !reply) reject(new Error(rt.lastError?.message || "The extension did not answer."));
      else if (!reply.ok) reject(new Error(`The extension refused: ${reply.error ?? "unknown reason"}.`));
      else resolve();
    });
  });
}

let started = false;

/** Push each new token (Supabase refreshes them) to the extensions this browser approved; an
 * extension takes it only for the account it is connected to (the token's subject). */
export function startExtensionSync(): void {
  if (started) return;
  started = true;
  onTokenChange(() => {
    const token = getToken();
    if (!token || !runtime()) return;
    for (const id of approved()) {
      sendToExtension(id, { type: "bugport.session", access_token: token, email: null, user_id: null }).catch(() => undefined);
    }
  });
}

startExtensionSync();
