export const DEFAULT_API_BASE_URL = "https://api.bugport.dev/v1";

export interface Reporter {
  id?: string;
  name?: string;
  email?: string;
}

export interface Theme {
  /** Accent colour of the launcher and buttons (any CSS colour). */
  accentColor?: string;
  /** Launcher corner. */
  position?: "bottom-right" | "bottom-left";
  /** Light or dark panel. */
  mode?: "light" | "dark";
  /** Launcher text. */
  launcherText?: string;
  zIndex?: number;
}

export interface BugPortOptions {
  /** The project's public widget key, `bp_pub_…`. */
  publicKey: string;
  /** BugPort API base URL; must end in `/v1`. Default https://api.bugport.dev/v1. */
  apiBaseUrl?: string;
  /** Who is reporting, when the host app knows it (pre-fills and is sent with the report). */
  reporter?: Reporter;
  /** Custom metadata from the host app (a small JSON object), sent with every report. */
  metadata?: Record<string, unknown>;
  theme?: Theme;
  /** Capture a screenshot of the page with the report (default true). */
  screenshot?: boolean;
  /** Console entries kept (default 50) and network entries kept (default 20). */
  maxConsoleEntries?: number;
  maxNetworkEntries?: number;
  /** A request slower than this is captured even when it succeeded (default 3000 ms). */
  slowRequestMs?: number;
  /** Extra header / query-parameter names to strip client-side (case-insensitive). */
  redactHeaders?: string[];
  redactQueryParams?: string[];
  /** Where the launcher and panel are mounted (default document.body). */
  container?: HTMLElement;
  /** Called after a report is stored. */
  onSubmitted?: (bug: { id?: string; key?: string }) => void;
}

export interface ResolvedOptions extends Required<Omit<BugPortOptions, "reporter" | "metadata" | "theme" | "container" | "onSubmitted">> {
  reporter: Reporter;
  metadata: Record<string, unknown>;
  theme: Required<Theme>;
  container?: HTMLElement;
  onSubmitted?: BugPortOptions["onSubmitted"];
}

export function resolveOptions(o: BugPortOptions): ResolvedOptions {
  if (!o || typeof o.publicKey !== "string" || !o.publicKey.startsWith("bp_pub_")) {
    throw new Error("BugPort widget: `publicKey` must be a widget key starting with bp_pub_.");
  }
  let base = (o.apiBaseUrl || DEFAULT_API_BASE_URL).trim().replace(/\/+$/, "");
  if (!/\/v1$/.test(base)) {
    console.warn(
      `[BugPort] apiBaseUrl "${base}" does not end in /v1. Every BugPort endpoint lives under /v1 ` +
        `(e.g. ${base}/v1); without it requests will answer 404.`,
    );
  }
  return {
    publicKey: o.publicKey,
    apiBaseUrl: base,
    reporter: { ...(o.reporter || {}) },
    metadata: { ...(o.metadata || {}) },
    theme: {
      accentColor: o.theme?.accentColor || "#4f46e5",
      position: o.theme?.position || "bottom-right",
      mode: o.theme?.mode || "light",
      launcherText: o.theme?.launcherText || "Report a bug",
      zIndex: o.theme?.zIndex ?? 2147483000,
    },
    screenshot: o.screenshot ?? true,
    maxConsoleEntries: clamp(o.maxConsoleEntries ?? 50, 0, 200),
    maxNetworkEntries: clamp(o.maxNetworkEntries ?? 20, 0, 100),
    slowRequestMs: o.slowRequestMs ?? 3000,
    redactHeaders: o.redactHeaders || [],
    redactQueryParams: o.redactQueryParams || [],
    container: o.container,
    onSubmitted: o.onSubmitted,
  };
}

function clamp(n: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, Math.floor(n)));
}
