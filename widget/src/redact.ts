/** Client-side stripping of secrets, before anything leaves the page (the server redacts again).
 * The one browser implementation: the widget and the browser extension (extension/) both import
 * this module, so a rule added here protects both. */

export const MARKER = "[REDACTED]";
const ENCODED_MARKER = encodeURIComponent(MARKER);

const HEADERS = [
  "authorization",
  "proxy-authorization",
  "cookie",
  "set-cookie",
  "x-api-key",
  "api-key",
  "x-auth-token",
  "x-access-token",
  "x-csrf-token",
  "x-xsrf-token",
  "x-amz-security-token",
];
const PARAMS = [
  "token",
  "access_token",
  "refresh_token",
  "id_token",
  "code",
  "state",
  "password",
  "passwd",
  "secret",
  "client_secret",
  "key",
  "api_key",
  "apikey",
  "signature",
  "sig",
  "session",
  "auth",
  "x-amz-signature",
  "x-amz-credential",
  "x-amz-security-token",
];
// Substrings that make any JSON key or form field sensitive (as the server's kit/redaction.py).
const FRAGMENTS = /token|secret|password|passwd|api[-_]?key|signature|credential|session|authorization|cookie/;
const JWT = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}/g;

export class Redactor {
  private headers: Set<string>;
  private params: Set<string>;

  constructor(extraHeaders: string[] = [], extraParams: string[] = []) {
    this.headers = new Set([...HEADERS, ...extraHeaders.map((h) => h.toLowerCase())]);
    this.params = new Set([...PARAMS, ...extraParams.map((p) => p.toLowerCase())]);
  }

  headerMap(h: Record<string, string>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(h)) {
      const name = k.toLowerCase();
      out[name] = this.headers.has(name) || /token|secret|api[-_]?key/.test(name) ? MARKER : this.text(v);
    }
    return out;
  }

  url(raw: string): string {
    try {
      const u = new URL(raw, location.href);
      let changed = false;
      for (const name of Array.from(u.searchParams.keys())) {
        if (this.params.has(name.toLowerCase())) {
          u.searchParams.set(name, MARKER);
          changed = true;
        }
      }
      if (u.username || u.password) {
        u.username = "";
        u.password = "";
        changed = true;
      }
      // URLSearchParams percent-encodes the brackets; store the readable marker the API uses.
      const s = changed ? u.toString().split(ENCODED_MARKER).join(MARKER) : raw;
      return s.replace(JWT, MARKER);
    } catch {
      return raw.replace(JWT, MARKER);
    }
  }

  /** Whether a JSON key or form field name holds a secret. */
  secretName(name: string): boolean {
    const n = name.toLowerCase();
    return this.params.has(n) || this.headers.has(n) || FRAGMENTS.test(n);
  }

  /** A request or response body: JSON values under secret keys, secret form fields, free text. */
  body(s: string): string {
    const t = s.trim();
    if (t.startsWith("{") || t.startsWith("[")) {
      try {
        const parsed: unknown = JSON.parse(t);
        const state = { changed: false };
        const out = this.json(parsed, state);
        return state.changed ? JSON.stringify(out) : this.text(s);
      } catch {
        /* not JSON: the text rules below */
      }
    }
    if (t.includes("=") && !/\s/.test(t)) {
      const form = new URLSearchParams(t);
      let changed = false;
      for (const name of Array.from(form.keys())) {
        if (this.secretName(name)) {
          form.set(name, MARKER);
          changed = true;
        }
      }
      if (changed) return this.text(form.toString().split(ENCODED_MARKER).join(MARKER));
    }
    return this.text(s);
  }

  /** Any JSON value: secret keys' values replaced, strings through the text rules. */
  json(v: unknown, state: { changed: boolean } = { changed: false }): unknown {
    if (Array.isArray(v)) return v.map((x) => this.json(x, state));
    if (v && typeof v === "object") {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        if (this.secretName(k) && x !== null && x !== "" && typeof x !== "object" && typeof x !== "boolean") {
          out[k] = MARKER;
          state.changed = true;
        } else {
          out[k] = this.json(x, state);
        }
      }
      return out;
    }
    if (typeof v === "string") {
      const r = this.text(v);
      if (r !== v) state.changed = true;
      return r;
    }
    return v;
  }

  /** JWT-looking strings and URLs with secret query parameters inside free text. */
  text(s: string): string {
    return s
      .replace(/https?:\/\/[^\s"'<>]+/g, (m) => this.url(m))
      .replace(JWT, MARKER);
  }
}
