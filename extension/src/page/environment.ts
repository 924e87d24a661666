import type { Environment } from "../shared/types";

/** Browser and OS from the user agent (enough to triage; no fingerprinting beyond that). */
export function parseUserAgent(ua: string): Pick<Environment, "browser" | "browser_version" | "os" | "os_version" | "device"> {
  const pick = (re: RegExp) => ua.match(re)?.[1] ?? null;
  let browser: string | null = null;
  let version: string | null = null;
  for (const [name, re] of [
    ["Edge", /Edg\/([\d.]+)/],
    ["Opera", /OPR\/([\d.]+)/],
    ["Firefox", /Firefox\/([\d.]+)/],
    ["Chrome", /(?:HeadlessChrome|Chrome|Chromium)\/([\d.]+)/],
    ["Safari", /Version\/([\d.]+).*Safari/],
  ] as const) {
    const v = pick(re);
    if (v) {
      browser = name;
      version = v;
      break;
    }
  }
  let os: string | null = null;
  let osVersion: string | null = null;
  if (/Windows NT/.test(ua)) [os, osVersion] = ["Windows", pick(/Windows NT ([\d.]+)/)];
  else if (/Android/.test(ua)) [os, osVersion] = ["Android", pick(/Android ([\d.]+)/)];
  else if (/iPhone|iPad/.test(ua)) [os, osVersion] = ["iOS", pick(/OS ([\d_]+)/)?.replace(/_/g, ".") ?? null];
  else if (/Mac OS X/.test(ua)) [os, osVersion] = ["macOS", pick(/Mac OS X ([\d_.]+)/)?.replace(/_/g, ".") ?? null];
  else if (/CrOS/.test(ua)) [os, osVersion] = ["ChromeOS", pick(/CrOS \S+ ([\d.]+)/)];
  else if (/Linux/.test(ua)) os = "Linux";
  const device = /Mobi|iPhone|Android.*Mobile/.test(ua) ? "mobile" : /iPad|Tablet/.test(ua) ? "tablet" : "desktop";
  return { browser, browser_version: version, os, os_version: osVersion, device };
}

export function environment(): Environment {
  let timezone: string | null = null;
  try {
    timezone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch {
    /* no Intl */
  }
  return {
    ...parseUserAgent(navigator.userAgent),
    viewport_width: window.innerWidth,
    viewport_height: window.innerHeight,
    screen_width: screen.width,
    screen_height: screen.height,
    pixel_ratio: window.devicePixelRatio,
    locale: navigator.language || null,
    timezone,
    user_agent: navigator.userAgent.slice(0, 1000),
  };
}
