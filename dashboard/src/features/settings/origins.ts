// Allowed origins of a widget key, checked as you type with the server's rules
// (bugport/widget_key/origins.py, docs/widget.md §2). The server checks again on save.

const DEFAULT_PORTS: Record<string, number> = { http: 80, https: 443 };
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const AUTHORITY = /^([a-z][a-z0-9+.-]*):\/\/(\[[0-9a-f:.]+\]|[^/:?#@[\]]+)(?::([0-9]{1,5}))?$/;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** Why an entry is refused (a sentence a person can act on), or null when it is fine. */
export function originError(value: string): string | null {
  let raw = value.trim();
  if (!raw) return "empty entry";
  if (raw.endsWith("/") && raw.split("/").length - 1 === 3) raw = raw.slice(0, -1);
  const m = AUTHORITY.exec(raw.toLowerCase());
  if (!m) return "use scheme://host[:port] with nothing after it (no path, query or user info)";
  const scheme = m[1]!;
  let host = m[2]!;
  const port = m[3];
  if (!(scheme in DEFAULT_PORTS)) return "the scheme must be http or https";
  let wildcard = false;
  if (host.includes("*")) {
    if (!host.startsWith("*.") || host.slice(2).includes("*")) return "a wildcard is allowed only as the whole leftmost label: *.example.com";
    wildcard = true;
    host = host.slice(2);
  }
  if (host.startsWith("[")) {
    if (wildcard) return "a wildcard needs a domain name, not an IP address";
  } else {
    const labels = host.split(".");
    if (!labels.every((l) => LABEL.test(l))) return `'${host}' is not a valid host name`;
    if (wildcard && labels.length < 2) return "a wildcard needs a domain of at least two labels (*.example.com)";
    if (wildcard && IPV4.test(host)) return "a wildcard needs a domain name, not an IP address";
  }
  if (port !== undefined) {
    const n = Number(port);
    if (!(n > 0 && n < 65536)) return "the port must be between 1 and 65535";
  }
  return null;
}

/** The lines of a textarea as entries (blank lines and surrounding spaces dropped). */
export function originLines(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter(Boolean);
}
