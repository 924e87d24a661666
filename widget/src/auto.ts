/** Script-tag build (`/widget.js`): exposes `window.BugPort` and starts itself from the tag's
 *  data attributes, so no inline script is needed (works under a strict CSP). */

import { type BugPortOptions, init } from "./index";

declare global {
  interface Window {
    BugPort?: { init: typeof init; widget?: ReturnType<typeof init> };
  }
}

const script = document.currentScript as HTMLScriptElement | null;
window.BugPort = { init };

function start(): void {
  const d = script?.dataset;
  if (!d?.publicKey) return; // no data-public-key: the page calls BugPort.init({...}) itself
  const options: BugPortOptions = {
    publicKey: d.publicKey,
    apiBaseUrl: d.apiBaseUrl,
    reporter: d.reporterEmail || d.reporterName ? { email: d.reporterEmail, name: d.reporterName } : undefined,
    theme: { accentColor: d.accentColor, position: d.position as "bottom-left" | undefined, mode: d.mode as "dark" | undefined },
  };
  if (d.metadata) {
    try {
      options.metadata = JSON.parse(d.metadata);
    } catch {
      console.warn("[BugPort] data-metadata is not valid JSON; ignored.");
    }
  }
  window.BugPort!.widget = init(options);
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
