/** Client-side stripping of secrets, before anything leaves the page (the server redacts again). */

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

  /** JWT-looking strings and URLs with secret query parameters inside free text. */
  text(s: string): string {
    return s
      .replace(/https?:\/\/[^\s"'<>]+/g, (m) => this.url(m))
      .replace(JWT, MARKER);
  }
}
