/** A PNG of the visible page, rendered from the DOM through an SVG foreignObject (html-to-image).
 *  No eval and no inline script; it needs `img-src data:` under a Content-Security-Policy, and
 *  says so clearly when that (or anything else) stops it. */

import { toBlob } from "html-to-image";

export class ScreenshotError extends Error {}

export async function capturePage(exclude: HTMLElement | null, timeoutMs = 10000): Promise<Blob> {
  const root = document.documentElement;
  const width = window.innerWidth;
  const height = window.innerHeight;
  const work = toBlob(document.body, {
    width,
    height,
    canvasWidth: width,
    canvasHeight: height,
    pixelRatio: 1,
    backgroundColor: getComputedStyle(document.body).backgroundColor || getComputedStyle(root).backgroundColor || "#ffffff",
    style: { transform: `translate(${-window.scrollX}px, ${-window.scrollY}px)` },
    filter: (node) => node !== exclude,
    skipFonts: true,
    cacheBust: false,
  });
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new ScreenshotError("the screenshot took too long")), timeoutMs),
  );
  let blob: Blob | null;
  try {
    blob = await Promise.race([work, timeout]);
  } catch (err) {
    if (err instanceof ScreenshotError) throw err;
    throw new ScreenshotError(
      "this page blocked the screenshot (its Content-Security-Policy may not allow img-src data:)",
    );
  }
  if (!blob || blob.size === 0) throw new ScreenshotError("the screenshot came out empty");
  return blob;
}
