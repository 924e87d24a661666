import createClient from "openapi-fetch";
import type { paths, components } from "./schema";
import { ApiError, toApiError } from "./errors";
import { getToken, setToken } from "./token";

export type Schemas = components["schemas"];
export type Bug = Schemas["Bug"];
export type Workspace = Schemas["Workspace"];
export type Project = Schemas["Project"];
export type Member = Schemas["Member"];
export type Comment = Schemas["Comment"];
export type ActivityEntry = Schemas["ActivityEntry"];
// The viewers take the public shapes (no id): a bug page and a share page render the same.
export type LogEntry = Schemas["PublicLogEntry"];
export type NetworkEntry = Schemas["PublicNetworkEntry"];
export type Media = Schemas["Media"];
export type ShareLink = Schemas["ShareLink"];
export type PublicBug = Schemas["PublicBug"];
export type BugStatus = Bug["status"];
export type BugSeverity = Bug["severity"];
export type BugPriority = Bug["priority"];

const MAX_RETRIES = 3;
const MAX_WAIT_MS = 30_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Milliseconds to wait from a `Retry-After` header (seconds or an HTTP date). */
export function retryAfterMs(value: string | null, attempt: number): number {
  if (value) {
    const secs = Number(value);
    if (Number.isFinite(secs)) return Math.min(Math.max(secs, 0) * 1000, MAX_WAIT_MS);
    const at = Date.parse(value);
    if (!Number.isNaN(at)) return Math.min(Math.max(at - Date.now(), 0), MAX_WAIT_MS);
  }
  return Math.min(500 * 2 ** attempt, MAX_WAIT_MS);
}

/** fetch with the bearer token, backing off on 429 as the server's `Retry-After` says. */
async function apiFetch(request: Request): Promise<Response> {
  const token = getToken();
  if (token && !request.headers.has("Authorization") && !new URL(request.url).pathname.startsWith("/v1/public/")) {
    request.headers.set("Authorization", `Bearer ${token}`);
  }
  for (let attempt = 0; ; attempt++) {
    let response: Response;
    try {
      response = await fetch(request.clone());
    } catch {
      throw new ApiError(0, "network_error", "The server could not be reached. Check your connection and try again.");
    }
    if (response.status !== 429 || attempt >= MAX_RETRIES) return response;
    await sleep(retryAfterMs(response.headers.get("Retry-After"), attempt));
  }
}

export const api = createClient<paths>({ baseUrl: "", fetch: apiFetch });

/** Signed-out listeners: the app sends the user to sign-in, keeping the page they were on. */
const unauthorized = new Set<() => void>();
export function onUnauthorized(fn: () => void): () => void {
  unauthorized.add(fn);
  return () => unauthorized.delete(fn);
}

interface FetchResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The data of a call, or a thrown typed `ApiError` (401 also signs out). */
export async function call<T>(pending: Promise<FetchResult<T>>): Promise<T> {
  const { data, error, response } = await pending;
  if (response.ok) return data as T;
  const err = toApiError(response.status, error, `${response.status} ${response.statusText || "error"}`);
  if (response.status === 401 && getToken() && !response.url.includes("/v1/auth/local-signin")) {
    setToken(null);
    unauthorized.forEach((fn) => fn());
  }
  throw err;
}

/** A raw authenticated GET (exports: Markdown is not JSON). */
export async function download(path: string): Promise<Response> {
  const response = await apiFetch(new Request(path));
  if (!response.ok) {
    let body: unknown = null;
    try {
      body = await response.json();
    } catch {
      // not JSON
    }
    throw toApiError(response.status, body, `${response.status} ${response.statusText}`);
  }
  return response;
}
