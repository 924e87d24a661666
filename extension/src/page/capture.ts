// Runs in the page's main world from document start (manifest content_scripts, world MAIN):
// records console output, fetch/XHR traffic and user actions into bounded ring buffers, redacted
// here before anything is kept. Nothing leaves the page until the user files a capture: the
// extension then reads a snapshot with chrome.scripting (activeTab).
import { Redactor } from "../../../widget/src/redact";
import { BUFFER } from "../shared/limits";
import type { Action, CaptureSettings, LogIn, NetworkIn, PageSnapshot } from "../shared/types";
import { environment } from "./environment";

const KEY = Symbol.for("bugport.extension.capture");
type Level = LogIn["level"] & string;
type Stamped<T> = T & { t: number };

class Ring<T> {
  items: Stamped<T>[] = [];
  constructor(private size: number) {}
  push(x: T): Stamped<T> {
    const item = { ...x, t: Date.now() } as Stamped<T>;
    this.items.push(item);
    if (this.items.length > this.size) this.items.splice(0, this.items.length - this.size);
    return item;
  }
  recent(windowMs: number): T[] {
    const from = Date.now() - windowMs;
    return this.items.filter((x) => x.t >= from).map(({ t: _t, ...x }) => x as unknown as T);
  }
}

function cut(s: string, n: number): string {
  return s.length > n ? s.slice(0, n) + "…[truncated]" : s;
}

function show(v: unknown): string {
  if (typeof v === "string") return v;
  if (v instanceof Error) return `${v.name}: ${v.message}`;
  if (typeof v === "undefined") return "undefined";
  if (typeof v === "function") return `[Function ${v.name || "anonymous"}]`;
  if (typeof Element !== "undefined" && v instanceof Element) return `<${v.tagName.toLowerCase()}>`;
  try {
    const seen = new WeakSet<object>();
    return (
      JSON.stringify(v, (_k, x: unknown) => {
        if (typeof x === "object" && x !== null) {
          if (seen.has(x)) return "[Circular]";
          seen.add(x);
        }
        if (typeof x === "bigint") return x.toString();
        if (typeof x === "function") return `[Function ${(x as { name?: string }).name || "anonymous"}]`;
        return x;
      }) ?? String(v)
    );
  } catch {
    return String(v);
  }
}

const TEXTUAL = /json|text|xml|javascript|x-www-form-urlencoded|graphql/i;

function headerObject(h: HeadersInit | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!h) return out;
  if (h instanceof Headers) h.forEach((v, k) => (out[k] = v));
  else if (Array.isArray(h)) for (const [k, v] of h) out[String(k).toLowerCase()] = String(v);
  else for (const [k, v] of Object.entries(h)) out[k.toLowerCase()] = String(v);
  return out;
}

function rawHeaders(raw: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of raw.trim().split(/[\r\n]+/)) {
    const i = line.indexOf(":");
    if (i > 0) out[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return out;
}

function bodyText(body: unknown): { text?: string; size?: number } {
  if (body == null) return {};
  if (typeof body === "string") return { text: body, size: new TextEncoder().encode(body).length };
  if (body instanceof URLSearchParams) {
    const s = body.toString();
    return { text: s, size: s.length };
  }
  if (body instanceof Blob) return { size: body.size };
  if (body instanceof ArrayBuffer) return { size: body.byteLength };
  if (ArrayBuffer.isView(body)) return { size: body.byteLength };
  if (typeof FormData !== "undefined" && body instanceof FormData) {
    const parts: string[] = [];
    body.forEach((v, k) => parts.push(`${k}=${typeof v === "string" ? v : "[file]"}`));
    return { text: parts.join("&") };
  }
  return {};
}

/** `button#pay.primary "Pay now"`: enough to find the element again, never an input's value. */
function describe(el: Element | null): string {
  if (!el) return "";
  const tag = el.tagName.toLowerCase();
  const id = el.id ? `#${el.id}` : "";
  const cls =
    typeof el.className === "string" && el.className.trim()
      ? "." + el.className.trim().split(/\s+/).slice(0, 2).join(".")
      : "";
  const name = el.getAttribute("name") ? `[name="${el.getAttribute("name")}"]` : "";
  const isField = el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement || el instanceof HTMLSelectElement;
  let label = "";
  if (!isField && !(el as HTMLElement).isContentEditable) {
    const text = (el.getAttribute("aria-label") || (el as HTMLElement).innerText || el.textContent || "").trim();
    if (text) label = ` "${cut(text.replace(/\s+/g, " "), 60)}"`;
  } else if (el.getAttribute("aria-label") || el.getAttribute("placeholder")) {
    label = ` "${cut(el.getAttribute("aria-label") || el.getAttribute("placeholder") || "", 60)}"`;
  }
  return `${tag}${id}${cls}${name}${label}`;
}

export class PageCapture {
  readonly redactor = new Redactor();
  readonly startedAt = new Date().toISOString();
  logs = new Ring<LogIn>(BUFFER.logs);
  network = new Ring<NetworkIn>(BUFFER.network);
  actions = new Ring<Action>(BUFFER.actions);
  private lastInput: { el: EventTarget | null; action: Stamped<Action> } | null = null;

  start(): void {
    this.patchConsole();
    this.patchErrors();
    this.patchFetch();
    this.patchXHR();
    this.watchActions();
  }

  private log(level: Level, args: unknown[], stack?: string, source?: string): void {
    const r = this.redactor;
    const shown = args.slice(0, 20).map((a) => r.text(cut(show(a), 2000)));
    const err = args.find((a) => a instanceof Error) as Error | undefined;
    const trace = stack ?? err?.stack;
    this.logs.push({
      level,
      message: cut(shown.join(" "), 9000),
      args: shown.length > 1 ? shown : [],
      stack: trace ? r.text(cut(trace, 16_000)) : null,
      source: source ? cut(source, 2000) : null,
      timestamp: new Date().toISOString(),
    });
  }

  private patchConsole(): void {
    const self = this;
    const levels: [keyof Console, Level][] = [
      ["debug", "debug"],
      ["log", "log"],
      ["info", "info"],
      ["warn", "warn"],
      ["error", "error"],
      ["trace", "debug"],
    ];
    for (const [name, level] of levels) {
      const original = console[name] as (...a: unknown[]) => void;
      if (typeof original !== "function") continue;
      (console as unknown as Record<string, unknown>)[name] = function (this: Console, ...args: unknown[]) {
        try {
          self.log(level, args, name === "trace" ? new Error("console.trace").stack : undefined);
        } catch {
          /* capture never breaks the page */
        }
        return original.apply(this, args);
      };
    }
    const assert = console.assert;
    console.assert = function (this: Console, cond?: boolean, ...args: unknown[]) {
      if (!cond) {
        try {
          self.log("error", ["Assertion failed:", ...args], new Error("console.assert").stack);
        } catch {
          /* never break the page */
        }
      }
      return assert.call(this, cond, ...args);
    };
  }

  private patchErrors(): void {
    window.addEventListener("error", (e: ErrorEvent) => {
      if (!(e instanceof ErrorEvent)) return; // resource load errors (img, script) bubble as Event
      const where = e.filename ? `${this.redactor.url(e.filename)}:${e.lineno}:${e.colno}` : undefined;
      const err = e.error as unknown;
      this.log("error", [err instanceof Error ? err : e.message], err instanceof Error ? err.stack : undefined, where);
    });
    window.addEventListener("unhandledrejection", (e: PromiseRejectionEvent) => {
      const reason = e.reason as unknown;
      this.log("error", ["Unhandled promise rejection:", reason], reason instanceof Error ? reason.stack : undefined);
    });
  }

  private record(e: NetworkIn): Stamped<NetworkIn> {
    const r = this.redactor;
    return this.network.push({
      ...e,
      url: cut(r.url(e.url), 8000),
      request_headers: r.headerMap(e.request_headers ?? {}),
      response_headers: r.headerMap(e.response_headers ?? {}),
      request_body: e.request_body != null ? r.body(cut(e.request_body, BUFFER.bodyChars)) : null,
      response_body: e.response_body != null ? r.body(cut(e.response_body, BUFFER.bodyChars)) : null,
    });
  }

  private patchFetch(): void {
    const original = window.fetch;
    if (typeof original !== "function") return;
    const self = this;
    window.fetch = async function (input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
      const t0 = performance.now();
      const startedAt = new Date().toISOString();
      let method = "GET";
      let url = "";
      let reqHeaders: Record<string, string> = {};
      let reqBody: { text?: string; size?: number } = {};
      try {
        const req = input instanceof Request ? input : null;
        method = (init?.method || req?.method || "GET").toUpperCase();
        url = new URL(req ? req.url : String(input), location.href).toString();
        reqHeaders = headerObject(init?.headers ?? req?.headers);
        reqBody = bodyText(init?.body);
      } catch {
        /* an odd input: fetch itself will say what is wrong */
      }
      const base = {
        method,
        url,
        started_at: startedAt,
        request_headers: reqHeaders,
        request_body: reqBody.text ?? null,
        request_size: reqBody.size ?? null,
      };
      let res: Response;
      try {
        res = await original.call(window, input as RequestInfo, init);
      } catch (err) {
        try {
          self.record({
            ...base,
            status: null,
            error: cut(show(err), 1900),
            timing: { start: Math.round(t0), duration: Math.round(performance.now() - t0) },
          });
        } catch {
          /* never break the page */
        }
        throw err;
      }
      try {
        const ttfb = Math.round(performance.now() - t0);
        const len = res.headers.get("content-length");
        const type = res.headers.get("content-type") || "";
        const entry = self.record({
          ...base,
          status: res.status,
          response_headers: headerObject(res.headers),
          response_size: len ? Number(len) : null,
          timing: { start: Math.round(t0), ttfb, duration: ttfb },
        });
        if (TEXTUAL.test(type) && !(len && Number(len) > BUFFER.bodyChars * 4)) {
          res
            .clone()
            .text()
            .then((text) => {
              entry.response_body = self.redactor.body(cut(text, BUFFER.bodyChars));
              entry.response_size ??= new TextEncoder().encode(text).length;
              entry.timing = { ...entry.timing, duration: Math.round(performance.now() - t0) };
            })
            .catch(() => undefined);
        }
      } catch {
        /* never break the page */
      }
      return res;
    } as typeof window.fetch;
  }

  private patchXHR(): void {
    if (typeof XMLHttpRequest === "undefined") return;
    const proto = XMLHttpRequest.prototype;
    const open = proto.open;
    const send = proto.send;
    const setHeader = proto.setRequestHeader;
    const self = this;
    type Info = { method: string; url: string; headers: Record<string, string> };
    const info = new WeakMap<XMLHttpRequest, Info>();
    proto.open = function (this: XMLHttpRequest, method: string, url: string | URL, ...rest: unknown[]) {
      try {
        info.set(this, { method: String(method).toUpperCase(), url: new URL(String(url), location.href).toString(), headers: {} });
      } catch {
        /* bad URL: open throws below */
      }
      return (open as (...a: unknown[]) => void).call(this, method, url, ...rest);
    } as typeof proto.open;
    proto.setRequestHeader = function (this: XMLHttpRequest, name: string, value: string) {
      const i = info.get(this);
      if (i) i.headers[name.toLowerCase()] = value;
      return setHeader.call(this, name, value);
    };
    proto.send = function (this: XMLHttpRequest, body?: Document | XMLHttpRequestBodyInit | null) {
      const i = info.get(this);
      if (i) {
        const t0 = performance.now();
        const startedAt = new Date().toISOString();
        const req = bodyText(body);
        let ttfb: number | undefined;
        this.addEventListener("readystatechange", () => {
          if (this.readyState === 2 && ttfb === undefined) ttfb = Math.round(performance.now() - t0);
        });
        this.addEventListener("loadend", () => {
          try {
            const headers = rawHeaders(this.getAllResponseHeaders() || "");
            let text: string | null = null;
            if ((this.responseType === "" || this.responseType === "text") && TEXTUAL.test(headers["content-type"] || "")) {
              text = this.responseText;
            } else if (this.responseType === "json" && this.response != null) {
              text = JSON.stringify(this.response);
            }
            self.record({
              method: i.method,
              url: i.url,
              status: this.status || null,
              error: this.status ? null : "network error",
              started_at: startedAt,
              request_headers: i.headers,
              response_headers: headers,
              request_body: req.text ?? null,
              request_size: req.size ?? null,
              response_body: text,
              response_size: headers["content-length"] ? Number(headers["content-length"]) : text != null ? text.length : null,
              timing: { start: Math.round(t0), ...(ttfb !== undefined ? { ttfb } : {}), duration: Math.round(performance.now() - t0) },
            });
          } catch {
            /* never break the page */
          }
        });
      }
      return send.call(this, body);
    };
  }

  private action(a: Omit<Action, "timestamp">): Stamped<Action> {
    return this.actions.push({ ...a, timestamp: new Date().toISOString() });
  }

  private watchActions(): void {
    this.action({ type: "navigate", detail: this.redactor.url(location.href) });
    const opts = { capture: true, passive: true };
    window.addEventListener(
      "click",
      (e) => {
        const el = e.target instanceof Element ? (e.target.closest("a,button,input,select,textarea,label,[role],[onclick]") ?? e.target) : null;
        if (el) this.action({ type: "click", target: describe(el) });
      },
      opts,
    );
    window.addEventListener(
      "input",
      (e) => {
        const el = e.target;
        if (!(el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement || (el instanceof HTMLElement && el.isContentEditable))) return;
        if (el instanceof HTMLInputElement && (el.type === "checkbox" || el.type === "radio")) return;
        const length = el instanceof HTMLElement && el.isContentEditable && !(el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement)
          ? (el.textContent || "").length
          : (el as HTMLInputElement).value.length;
        // Typed values are never kept: only that something was typed, and how much.
        const detail = `typed ${length} character${length === 1 ? "" : "s"} (value masked)`;
        if (this.lastInput && this.lastInput.el === el && this.actions.items[this.actions.items.length - 1] === this.lastInput.action) {
          this.lastInput.action.detail = detail;
          this.lastInput.action.timestamp = new Date().toISOString();
          return;
        }
        this.lastInput = { el, action: this.action({ type: "input", target: describe(el as Element), detail }) };
      },
      opts,
    );
    window.addEventListener(
      "change",
      (e) => {
        const el = e.target;
        if (el instanceof HTMLInputElement && (el.type === "checkbox" || el.type === "radio")) {
          this.action({ type: "change", target: describe(el), detail: el.checked ? "checked" : "unchecked" });
        } else if (el instanceof HTMLSelectElement) {
          this.action({ type: "change", target: describe(el), detail: "selected an option (value masked)" });
        }
      },
      opts,
    );
    window.addEventListener("submit", (e) => this.action({ type: "submit", target: describe(e.target as Element) }), opts);
    window.addEventListener(
      "keydown",
      (e) => {
        if (e.key === "Enter" || e.key === "Escape" || e.key === "Tab") this.action({ type: "key", target: describe(e.target as Element), detail: e.key });
      },
      opts,
    );
    const nav = () => this.action({ type: "navigate", detail: this.redactor.url(location.href) });
    for (const name of ["pushState", "replaceState"] as const) {
      const original = history[name];
      history[name] = function (this: History, ...args: Parameters<History["pushState"]>) {
        const r = original.apply(this, args);
        try {
          nav();
        } catch {
          /* never break the page */
        }
        return r;
      };
    }
    window.addEventListener("popstate", nav);
    window.addEventListener("hashchange", nav);
  }

  snapshot(settings: CaptureSettings): PageSnapshot {
    const w = BUFFER.windowMs;
    const network = settings.network
      ? this.network.recent(w).map((n) => (settings.bodies ? n : { ...n, request_body: null, response_body: null }))
      : [];
    return {
      page_url: this.redactor.url(location.href),
      title: document.title,
      environment: environment(),
      logs: settings.console ? this.logs.recent(w) : [],
      network,
      actions: settings.actions ? this.actions.recent(w) : [],
      started_at: this.startedAt,
      taken_at: new Date().toISOString(),
    };
  }
}

const w = window as unknown as Record<symbol, unknown>;
if (!w[KEY]) {
  const capture = new PageCapture();
  capture.start();
  // Read by the extension (chrome.scripting in this world) when the user files a capture.
  Object.defineProperty(w, KEY, { value: { snapshot: (s: CaptureSettings) => capture.snapshot(s) }, enumerable: false });
}
