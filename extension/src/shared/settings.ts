// Settings and the session, in chrome.storage.local (only extension pages and the service worker
// read it: the page script runs in the page's world and has no access to extension storage).
import type { CaptureSettings } from "./types";

export const DEFAULT_SERVER = "http://127.0.0.1:8000";

export interface Settings {
  /** The server's base URL, without `/v1` (the dashboard lives at its root). */
  server: string;
  capture: CaptureSettings;
  /** Also attach the screenshot as taken, besides the annotated one. */
  keepOriginal: boolean;
  maxRecordSeconds: number;
}

export interface Session {
  server: string;
  access_token: string;
  /** Epoch milliseconds, from the token's `exp` (null: unknown). */
  expires_at: number | null;
  email: string | null;
  user_id: string | null;
  /** The token's subject: a pushed, refreshed token must be for the same account. */
  sub: string | null;
  connected_at: string;
}

export const DEFAULTS: Settings = {
  server: DEFAULT_SERVER,
  capture: { console: true, network: true, bodies: true, actions: true },
  keepOriginal: false,
  maxRecordSeconds: 120,
};

export const MAX_RECORD_SECONDS = 600;

/**
 * What the user typed as the server, as a base URL and its API root. "localhost:8000",
 * "http://127.0.0.1:8000/", ".../v1" and ".../v1/" all mean the same server: the API root always
 * ends in exactly one `/v1`.
 */
export function normalizeServer(input: string): { base: string; api: string; origin: string } {
  let s = input.trim();
  if (!s) s = DEFAULT_SERVER;
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) s = (/^(localhost|127\.|\[::1\])/.test(s) ? "http://" : "https://") + s;
  const u = new URL(s);
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error("The server URL must start with http:// or https://");
  u.hash = "";
  u.search = "";
  let path = u.pathname.replace(/\/+$/, "");
  while (/\/v1$/i.test(path)) path = path.replace(/\/v1$/i, "").replace(/\/+$/, "");
  const base = `${u.origin}${path}`;
  return { base, api: `${base}/v1`, origin: u.origin };
}

export async function getSettings(): Promise<Settings> {
  const { settings } = (await chrome.storage.local.get("settings")) as { settings?: Partial<Settings> };
  return { ...DEFAULTS, ...settings, capture: { ...DEFAULTS.capture, ...settings?.capture } };
}

export async function saveSettings(patch: Partial<Settings>): Promise<Settings> {
  const next = { ...(await getSettings()), ...patch };
  await chrome.storage.local.set({ settings: next });
  return next;
}

export async function getSession(): Promise<Session | null> {
  const { session } = (await chrome.storage.local.get("session")) as { session?: Session };
  return session ?? null;
}

export async function setSession(session: Session | null): Promise<void> {
  if (session) await chrome.storage.local.set({ session });
  else await chrome.storage.local.remove(["session", "lastProject"]);
}

export function sessionExpired(s: Session | null, now = Date.now()): boolean {
  return !s || (s.expires_at !== null && s.expires_at <= now);
}

/** The `exp` (ms) and `sub` of a JWT, read without verifying (the server verifies). */
export function tokenClaims(token: string): { exp: number | null; sub: string | null; email: string | null } {
  try {
    const part = token.split(".")[1] ?? "";
    const json = JSON.parse(atob(part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "="))) as Record<string, unknown>;
    return {
      exp: typeof json.exp === "number" ? json.exp * 1000 : null,
      sub: typeof json.sub === "string" ? json.sub : null,
      email: typeof json.email === "string" ? json.email : null,
    };
  } catch {
    return { exp: null, sub: null, email: null };
  }
}

export async function getLastProject(): Promise<string | null> {
  const { lastProject } = (await chrome.storage.local.get("lastProject")) as { lastProject?: string };
  return lastProject ?? null;
}

export async function setLastProject(id: string): Promise<void> {
  await chrome.storage.local.set({ lastProject: id });
}

export interface Sent {
  bug_id: string;
  key: string;
  title: string;
  url: string;
  at: string;
}

export async function recentlySent(): Promise<Sent[]> {
  const { sent } = (await chrome.storage.local.get("sent")) as { sent?: Sent[] };
  return sent ?? [];
}

export async function rememberSent(s: Sent): Promise<void> {
  const list = [s, ...(await recentlySent()).filter((x) => x.bug_id !== s.bug_id)].slice(0, 10);
  await chrome.storage.local.set({ sent: list });
}
