/** The shape of a bug's `environment` in BugPort's API. */
export interface Environment {
  user_agent: string;
  browser?: string;
  browser_version?: string;
  os?: string;
  device?: string;
  viewport_width: number;
  viewport_height: number;
  screen_width: number;
  screen_height: number;
  pixel_ratio: number;
  locale: string;
  timezone?: string;
}

function browserOf(ua: string): [string, string] | undefined {
  const rules: [RegExp, string][] = [
    [/Edg\/([\d.]+)/, "Edge"],
    [/OPR\/([\d.]+)/, "Opera"],
    [/Firefox\/([\d.]+)/, "Firefox"],
    [/Chrom(?:e|ium)\/([\d.]+)/, "Chrome"],
    [/Version\/([\d.]+).*Safari/, "Safari"],
  ];
  for (const [rx, name] of rules) {
    const m = ua.match(rx);
    if (m) return [name, m[1]];
  }
  return undefined;
}

function osOf(ua: string): string | undefined {
  if (/Windows NT/.test(ua)) return "Windows";
  if (/Android/.test(ua)) return "Android";
  if (/iPhone|iPad|iPod/.test(ua)) return "iOS";
  if (/Mac OS X/.test(ua)) return "macOS";
  if (/CrOS/.test(ua)) return "ChromeOS";
  if (/Linux/.test(ua)) return "Linux";
  return undefined;
}

export function environment(): Environment {
  const ua = navigator.userAgent;
  let timezone: string | undefined;
  try {
    timezone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch {
    timezone = undefined;
  }
  const browser = browserOf(ua);
  return {
    user_agent: ua,
    browser: browser?.[0],
    browser_version: browser?.[1],
    os: osOf(ua),
    device: /Mobi|Android|iPhone/.test(ua) ? "mobile" : /iPad|Tablet/.test(ua) ? "tablet" : "desktop",
    viewport_width: window.innerWidth,
    viewport_height: window.innerHeight,
    screen_width: window.screen.width,
    screen_height: window.screen.height,
    pixel_ratio: window.devicePixelRatio || 1,
    locale: navigator.language,
    timezone,
  };
}
