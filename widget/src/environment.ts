export interface Environment {
  user_agent: string;
  browser?: string;
  os?: string;
  device?: string;
  viewport: { width: number; height: number };
  screen: { width: number; height: number };
  pixel_ratio: number;
  locale: string;
  timezone?: string;
}

function browserOf(ua: string): string | undefined {
  const rules: [RegExp, string][] = [
    [/Edg\/([\d.]+)/, "Edge"],
    [/OPR\/([\d.]+)/, "Opera"],
    [/Firefox\/([\d.]+)/, "Firefox"],
    [/Chrom(?:e|ium)\/([\d.]+)/, "Chrome"],
    [/Version\/([\d.]+).*Safari/, "Safari"],
  ];
  for (const [rx, name] of rules) {
    const m = ua.match(rx);
    if (m) return `${name} ${m[1].split(".")[0]}`;
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
  return {
    user_agent: ua,
    browser: browserOf(ua),
    os: osOf(ua),
    device: /Mobi|Android|iPhone/.test(ua) ? "mobile" : /iPad|Tablet/.test(ua) ? "tablet" : "desktop",
    viewport: { width: window.innerWidth, height: window.innerHeight },
    screen: { width: window.screen.width, height: window.screen.height },
    pixel_ratio: window.devicePixelRatio || 1,
    locale: navigator.language,
    timezone,
  };
}
