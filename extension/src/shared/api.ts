// The one HTTP client of the extension: openapi-fetch typed by the generated schema. Every error
// becomes an ApiError carrying the API's structured body (code, message, request id).
import createClient from "openapi-fetch";
import type { paths } from "./types";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId: string | null = null,
    readonly details: unknown = null,
  ) {
    super(message);
  }
  /** Worth retrying later without the user changing anything (offline, server down, 5xx, 429). */
  get transient(): boolean {
    return (
      this.status === 0 ||
      this.status === 408 ||
      (this.status === 409 && this.code === "idempotency_in_progress") ||
      this.status === 429 ||
      this.status >= 500
    );
  }
}

export function toApiError(status: number, body: unknown, fallback: string): ApiError {
  const e = (body as { error?: { code?: string; message?: string; request_id?: string; details?: unknown } } | null)?.error;
  if (e && typeof e.message === "string") return new ApiError(status, e.code ?? "error", e.message, e.request_id ?? null, e.details ?? null);
  return new ApiError(status, status ? "http_error" : "network_error", fallback);
}

export const OFFLINE = "The BugPort server could not be reached. Your capture is kept as a draft and sent when the server is back.";

export type Api = ReturnType<typeof createClient<paths>>;

export function apiClient(base: string, token: string | null): Api {
  return createClient<paths>({
    baseUrl: base,
    fetch: async (request: Request) => {
      if (token) request.headers.set("Authorization", `Bearer ${token}`);
      try {
        return await fetch(request);
      } catch {
        throw new ApiError(0, "network_error", OFFLINE);
      }
    },
  });
}

interface Result<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The data of a call, or a thrown ApiError with the API's own message. */
export async function call<T>(pending: Promise<Result<T>>): Promise<T> {
  let r: Result<T>;
  try {
    r = await pending;
  } catch (e) {
    if (e instanceof ApiError) throw e;
    throw new ApiError(0, "network_error", OFFLINE);
  }
  if (r.response.ok) return r.data as T;
  throw toApiError(r.response.status, r.error, `${r.response.status} ${r.response.statusText || "error"}`);
}

/** PUT a file to its presigned URL, with progress where XMLHttpRequest exists (pages; not the worker). */
export function putFile(
  url: string,
  headers: Record<string, string>,
  body: Blob,
  onProgress?: (sent: number, total: number) => void,
): Promise<void> {
  // Content-Length is the browser's to set (forbidden header); the signature includes it and
  // the Blob's size is exactly what was declared.
  const send = Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== "content-length"));
  if (typeof XMLHttpRequest === "undefined" || !onProgress) {
    return fetch(url, { method: "PUT", headers: send, body }).then(
      async (r) => {
        if (!r.ok) throw new ApiError(r.status, "upload_failed", `The upload was refused (${r.status}).`);
      },
      () => {
        throw new ApiError(0, "storage_unreachable", "The upload could not reach the storage server.");
      },
    );
  }
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", url);
    for (const [k, v] of Object.entries(send)) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : body.size);
    xhr.onload = () =>
      xhr.status >= 200 && xhr.status < 300
        ? (onProgress(body.size, body.size), resolve())
        : reject(new ApiError(xhr.status, "upload_failed", `The upload was refused (${xhr.status}).`));
    xhr.onerror = () => reject(new ApiError(0, "storage_unreachable", "The upload could not reach the storage server."));
    xhr.onabort = () => reject(new ApiError(0, "storage_unreachable", "The upload was interrupted."));
    xhr.send(body);
  });
}
