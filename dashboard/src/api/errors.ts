export interface ApiErrorDetail {
  field: string;
  message: string;
}

/** Every failed call, from the API's one error body `{"error": {code, message, details}}`. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: ApiErrorDetail[];
  readonly requestId: string | null;

  constructor(status: number, code: string, message: string, details: ApiErrorDetail[] = [], requestId: string | null = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.details = details;
    this.requestId = requestId;
  }
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError;
}

export function toApiError(status: number, body: unknown, fallback: string): ApiError {
  const err = (body as { error?: { code?: unknown; message?: unknown; details?: unknown; request_id?: unknown } } | null)?.error;
  if (err && typeof err.code === "string") {
    const details = Array.isArray(err.details)
      ? err.details.filter((d): d is ApiErrorDetail => typeof d?.field === "string" && typeof d?.message === "string")
      : [];
    return new ApiError(
      status,
      err.code,
      typeof err.message === "string" ? err.message : fallback,
      details,
      typeof err.request_id === "string" ? err.request_id : null,
    );
  }
  return new ApiError(status, status ? `http_${status}` : "network_error", fallback);
}
