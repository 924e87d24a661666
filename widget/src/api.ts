/** BugPort's widget endpoints: check, presign → PUT → complete, and submit. */

export class BugPortApiError extends Error {
  constructor(
    message: string,
    public status: number,
    public code: string,
    public requestId?: string,
    public retryAfter?: number,
  ) {
    super(message);
  }

  /** Worth retrying later with the same Idempotency-Key. */
  get retryable(): boolean {
    return this.status === 0 || this.status === 409 || this.status === 429 || this.status >= 500;
  }
}

export interface UploadTicket {
  media_id: string;
  upload: { url: string; method: string; headers?: Record<string, string> };
}

export class Api {
  constructor(
    private base: string,
    private key: string,
    private fetchImpl: typeof fetch,
  ) {}

  private async call<T>(path: string, body: unknown, headers: Record<string, string> = {}): Promise<T> {
    let res: Response;
    try {
      res = await this.fetchImpl.call(window, `${this.base}${path}`, {
        method: "POST",
        mode: "cors",
        credentials: "omit",
        headers: {
          Authorization: `Bearer ${this.key}`,
          "Content-Type": "application/json",
          ...headers,
        },
        body: JSON.stringify(body),
      });
    } catch {
      throw new BugPortApiError(
        `BugPort refused this page's origin (${location.origin}) or could not be reached at ` +
          `${this.base}. If you run this site, add ${location.origin} to the widget key's ` +
          "allowed origins.",
        0,
        "network_error",
      );
    }
    const text = await res.text();
    let data: any = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null;
    }
    if (!res.ok) {
      const err = data?.error || {};
      const retry = Number(res.headers.get("Retry-After"));
      let message: string = err.message || `BugPort answered ${res.status}.`;
      if (err.code === "origin_not_allowed") {
        message = `This site (${location.origin}) is not allowed to send reports with this widget key.`;
      } else if (res.status === 429) {
        message = `Too many reports right now; try again in ${retry || 60} seconds.`;
      } else if (res.status === 401) {
        message = "The BugPort widget key is invalid, disabled or revoked.";
      } else if (res.status === 404 && err.code === "route_not_found") {
        message = `BugPort has no ${path} at ${this.base}: does apiBaseUrl end in /v1?`;
      }
      throw new BugPortApiError(message, res.status, err.code || "error", err.request_id, retry || undefined);
    }
    return data as T;
  }

  check(): Promise<{ ok: boolean; project_id: string }> {
    return this.call("/widget/check", {});
  }

  async uploadScreenshot(blob: Blob): Promise<string> {
    const ticket = await this.call<UploadTicket>("/widget/media/upload-url", {
      filename: "screenshot.png",
      content_type: blob.type || "image/png",
      size_bytes: blob.size,
      kind: "screenshot",
    });
    let put: Response;
    try {
      put = await this.fetchImpl.call(window, ticket.upload.url, {
        method: ticket.upload.method || "PUT",
        headers: ticket.upload.headers || { "Content-Type": blob.type || "image/png" },
        body: blob,
        credentials: "omit",
      });
    } catch {
      throw new BugPortApiError("The screenshot upload could not reach storage.", 0, "network_error");
    }
    if (!put.ok) {
      throw new BugPortApiError(`The screenshot upload failed (${put.status}).`, put.status, "upload_failed");
    }
    await this.call("/widget/media/complete", { media_id: ticket.media_id });
    return ticket.media_id;
  }

  submit(report: unknown, idempotencyKey: string): Promise<{ id?: string; key?: string }> {
    return this.call("/widget/bugs", report, { "Idempotency-Key": idempotencyKey });
  }
}
