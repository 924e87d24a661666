/** Bounded buffers of recent console output and failed or slow fetch/XHR requests. */

import { Redactor } from "./redact";

export interface LogEntry {
  level: "debug" | "info" | "log" | "warn" | "error";
  message: string;
  args?: string[];
  stack?: string;
  source?: string;
  timestamp: string;
}

/** The shape of a bug's `network` entries in BugPort's API. */
export interface NetworkEntry {
  method: string;
  url: string;
  /** null: no response (network error, CORS, abort). */
  status: number | null;
  error?: string;
  /** Milliseconds. */
  timing: { duration: number };
  started_at: string;
  request_headers: Record<string, string>;
  response_headers: Record<string, string>;
  response_size?: number;
}

interface Observed extends Omit<NetworkEntry, "timing"> {
  duration_ms: number;
}

const MAX_TEXT = 2000;
const MAX_ARGS = 10;

class Ring<T> {
  items: T[] = [];
  constructor(private size: number) {}
  push(x: T): void {
    if (this.size <= 0) return;
    this.items.push(x);
    if (this.items.length > this.size) this.items.splice(0, this.items.length - this.size);
  }
}

function truncate(s: string, n = MAX_TEXT): string {
  return s.length > n ? s.slice(0, n) + "…[truncated]" : s;
}

function show(v: unknown): string {
  if (typeof v === "string") return v;
  if (v instanceof Error) return `${v.name}: ${v.message}`;
  try {
    const seen = new WeakSet<object>();
    return JSON.stringify(v, (_k, x) => {
      if (typeof x === "object" && x !== null) {
        if (seen.has(x)) return "[Circular]";
        seen.add(x);
      }
      if (typeof x === "bigint") return x.toString();
      if (typeof x === "function") return `[Function ${x.name || "anonymous"}]`;
      return x;
    }) ?? String(v);
  } catch {
    return String(v);
  }
}

function headersOf(h: Headers | Record<string, string> | [string, string][] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!h) return out;
  if (typeof Headers !== "undefined" && h instanceof Headers) {
    h.forEach((v, k) => (out[k] = v));
  } else if (Array.isArray(h)) {
    for (const [k, v] of h) out[k] = v;
  } else {
    Object.assign(out, h);
  }
  return out;
}

function parseRawHeaders(raw: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of raw.trim().split(/[\r\n]+/)) {
    const i = line.indexOf(":");
    if (i > 0) out[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return out;
}

type Patched = { restore(): void };

export class Capture {
  logs: Ring<LogEntry>;
  network: Ring<NetworkEntry>;
  private patches: Patched[] = [];
  /** Requests to these URL prefixes (BugPort's own API) are never captured. */
  ignorePrefixes: string[] = [];

  constructor(
    private redactor: Redactor,
    maxLogs: number,
    maxNetwork: number,
    private slowMs: number,
  ) {
    this.logs = new Ring(maxLogs);
    this.network = new Ring(maxNetwork);
  }

  start(): void {
    this.patchConsole();
    this.patchErrors();
    this.patchFetch();
    this.patchXHR();
  }

  stop(): void {
    for (const p of this.patches.reverse()) p.restore();
    this.patches = [];
  }

  private addLog(level: LogEntry["level"], args: unknown[], stack?: string, source?: string): void {
    const shown = args.slice(0, MAX_ARGS).map((a) => this.redactor.text(truncate(show(a))));
    const err = args.find((a) => a instanceof Error) as Error | undefined;
    this.logs.push({
      level,
      message: truncate(shown.join(" ")),
      args: shown.length > 1 ? shown : undefined,
      stack: stack || (err?.stack ? truncate(this.redactor.text(err.stack), 4000) : undefined),
      source,
      timestamp: new Date().toISOString(),
    });
  }

  private patchConsole(): void {
    const levels: LogEntry["level"][] = ["debug", "info", "log", "warn", "error"];
    for (const level of levels) {
      const original = console[level];
      if (typeof original !== "function") continue;
      const self = this;
      console[level] = function (this: Console, ...args: unknown[]) {
        try {
          self.addLog(level, args);
        } catch {
          /* capture must never break the page */
        }
        return original.apply(this, args);
      };
      this.patches.push({ restore: () => (console[level] = original) });
    }
  }

  private patchErrors(): void {
    const onError = (e: ErrorEvent) => {
      const where = e.filename ? `${this.redactor.url(e.filename)}:${e.lineno}:${e.colno}` : undefined;
      this.addLog("error", [e.error ?? e.message], e.error?.stack, where);
    };
    const onRejection = (e: PromiseRejectionEvent) => {
      this.addLog("error", ["Unhandled promise rejection:", e.reason]);
    };
    window.addEventListener("error", onError);
    window.addEventListener("unhandledrejection", onRejection);
    this.patches.push({
      restore: () => {
        window.removeEventListener("error", onError);
        window.removeEventListener("unhandledrejection", onRejection);
      },
    });
  }

  private ignored(url: string): boolean {
    return this.ignorePrefixes.some((p) => url.startsWith(p));
  }

  private record(o: Observed): void {
    const ok = o.status !== null && o.status > 0 && o.status < 400;
    if (ok && o.duration_ms < this.slowMs) return;
    const { duration_ms, ...e } = o;
    this.network.push({
      ...e,
      timing: { duration: duration_ms },
      url: truncate(this.redactor.url(e.url), 4000),
      request_headers: this.redactor.headerMap(e.request_headers),
      response_headers: this.redactor.headerMap(e.response_headers),
    });
  }

  private patchFetch(): void {
    const original = window.fetch;
    if (typeof original !== "function") return;
    const self = this;
    window.fetch = async function (input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
      const started = performance.now();
      const startedAt = new Date().toISOString();
      const method = (init?.method || (input instanceof Request ? input.method : "GET")).toUpperCase();
      const url = input instanceof Request ? input.url : String(input);
      const absolute = new URL(url, location.href).toString();
      const reqHeaders = headersOf((init?.headers as Headers | undefined) || (input instanceof Request ? input.headers : undefined));
      try {
        const res = await original.call(window, input as RequestInfo, init);
        if (!self.ignored(absolute)) {
          const len = res.headers.get("content-length");
          self.record({
            method,
            url: absolute,
            status: res.status,
            duration_ms: Math.round(performance.now() - started),
            started_at: startedAt,
            request_headers: reqHeaders,
            response_headers: headersOf(res.headers),
            response_size: len ? Number(len) : undefined,
          });
        }
        return res;
      } catch (err) {
        if (!self.ignored(absolute)) {
          self.record({
            method,
            url: absolute,
            status: null,
            error: truncate(show(err)),
            duration_ms: Math.round(performance.now() - started),
            started_at: startedAt,
            request_headers: reqHeaders,
            response_headers: {},
          });
        }
        throw err;
      }
    } as typeof window.fetch;
    this.patches.push({ restore: () => (window.fetch = original) });
  }

  private patchXHR(): void {
    if (typeof XMLHttpRequest === "undefined") return;
    const proto = XMLHttpRequest.prototype;
    const open = proto.open;
    const send = proto.send;
    const setHeader = proto.setRequestHeader;
    const self = this;
    type Info = { method: string; url: string; headers: Record<string, string>; started: number; startedAt: string };
    const info = new WeakMap<XMLHttpRequest, Info>();
    proto.open = function (this: XMLHttpRequest, method: string, url: string | URL, ...rest: unknown[]) {
      info.set(this, {
        method: String(method).toUpperCase(),
        url: new URL(String(url), location.href).toString(),
        headers: {},
        started: 0,
        startedAt: "",
      });
      return (open as (...a: unknown[]) => void).call(this, method, url, ...rest);
    } as typeof proto.open;
    proto.setRequestHeader = function (this: XMLHttpRequest, name: string, value: string) {
      const i = info.get(this);
      if (i) i.headers[name.toLowerCase()] = value;
      return setHeader.call(this, name, value);
    };
    proto.send = function (this: XMLHttpRequest, body?: Document | XMLHttpRequestBodyInit | null) {
      const i = info.get(this);
      if (i && !self.ignored(i.url)) {
        i.started = performance.now();
        i.startedAt = new Date().toISOString();
        this.addEventListener("loadend", () => {
          self.record({
            method: i.method,
            url: i.url,
            status: this.status || null,
            error: this.status ? undefined : "network error",
            duration_ms: Math.round(performance.now() - i.started),
            started_at: i.startedAt,
            request_headers: i.headers,
            response_headers: parseRawHeaders(this.getAllResponseHeaders() || ""),
          });
        });
      }
      return send.call(this, body);
    };
    this.patches.push({
      restore: () => {
        proto.open = open;
        proto.send = send;
        proto.setRequestHeader = setHeader;
      },
    });
  }
}
