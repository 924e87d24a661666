/** Launcher + form inside a shadow root. Styles are set through the CSSOM (element.style), which a
 *  strict Content-Security-Policy allows (no <style> element, no style attribute in markup). */

import type { ResolvedOptions } from "./options";

type Styles = Partial<Record<keyof CSSStyleDeclaration, string>>;

function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  style: Styles = {},
  props: Record<string, unknown> = {},
  children: (Node | string)[] = [],
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  Object.assign(el.style, style);
  for (const [k, v] of Object.entries(props)) {
    if (k.startsWith("data-") || k === "aria-label" || k === "role" || k === "for") el.setAttribute(k, String(v));
    else (el as any)[k] = v;
  }
  for (const c of children) el.append(c);
  return el;
}

export interface FormValues {
  title: string;
  description: string;
  email: string;
  includeScreenshot: boolean;
}

export interface UiHandlers {
  onOpen(): void;
  onSubmit(values: FormValues): void;
  onInput(values: FormValues): void;
}

export class Ui {
  host: HTMLElement;
  private root: ShadowRoot;
  private panel: HTMLElement;
  private launcher: HTMLButtonElement;
  private status: HTMLElement;
  private title: HTMLInputElement;
  private description: HTMLTextAreaElement;
  private email: HTMLInputElement;
  private shot: HTMLInputElement;
  private shotNote: HTMLElement;
  private send: HTMLButtonElement;
  private form: HTMLFormElement;

  constructor(private opts: ResolvedOptions, private handlers: UiHandlers) {
    const t = opts.theme;
    const dark = t.mode === "dark";
    const fg = dark ? "#f3f4f6" : "#111827";
    const bg = dark ? "#1f2937" : "#ffffff";
    const border = dark ? "#374151" : "#d1d5db";
    const side = t.position === "bottom-left" ? "left" : "right";
    this.host = h("div", { all: "initial" }, { "data-bugport-widget": "" });
    this.root = this.host.attachShadow({ mode: "open" });
    const font = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";

    this.launcher = h(
      "button",
      {
        position: "fixed",
        bottom: "20px",
        [side]: "20px",
        zIndex: String(t.zIndex),
        background: t.accentColor,
        color: "#fff",
        border: "none",
        borderRadius: "999px",
        padding: "10px 16px",
        font: `600 14px ${font}`,
        cursor: "pointer",
        boxShadow: "0 4px 14px rgba(0,0,0,.25)",
      } as Styles,
      { type: "button", textContent: t.launcherText, "data-bugport": "launcher", "aria-label": t.launcherText },
    );
    this.launcher.addEventListener("click", () => (this.isOpen ? this.close() : this.open()));

    const field = { display: "block", width: "100%", boxSizing: "border-box", margin: "4px 0 10px", padding: "8px", border: `1px solid ${border}`, borderRadius: "6px", font: `14px ${font}`, color: fg, background: bg };
    const label = { display: "block", font: `600 12px ${font}`, color: fg };
    this.title = h("input", field, { type: "text", required: true, maxLength: 200, id: "bp-title", "data-bugport": "title", placeholder: "What went wrong?" });
    this.description = h("textarea", { ...field, minHeight: "90px", resize: "vertical" }, { id: "bp-description", "data-bugport": "description", maxLength: 10000, placeholder: "Steps, what you expected, what happened" });
    this.email = h("input", field, { type: "email", id: "bp-email", "data-bugport": "email", placeholder: "you@example.com (optional)", value: opts.reporter.email || "" });
    this.shot = h("input", { marginRight: "6px" }, { type: "checkbox", checked: opts.screenshot, id: "bp-shot", "data-bugport": "screenshot" });
    this.shotNote = h("div", { font: `12px ${font}`, color: dark ? "#9ca3af" : "#6b7280", margin: "2px 0 10px" }, { "data-bugport": "screenshot-note" });
    this.status = h("div", { font: `13px ${font}`, margin: "0 0 10px", display: "none", padding: "8px", borderRadius: "6px" }, { role: "status", "data-bugport": "status" });
    this.send = h("button", { background: t.accentColor, color: "#fff", border: "none", borderRadius: "6px", padding: "9px 14px", font: `600 14px ${font}`, cursor: "pointer" }, { type: "submit", textContent: "Send report", "data-bugport": "send" });
    const closeBtn = h("button", { float: "right", background: "none", border: "none", font: `18px ${font}`, cursor: "pointer", color: fg }, { type: "button", textContent: "×", "aria-label": "Close", "data-bugport": "close" });
    closeBtn.addEventListener("click", () => this.close());

    this.form = h("form", {}, { noValidate: false }, [
      h("label", label, { for: "bp-title" }, ["Title"]),
      this.title,
      h("label", label, { for: "bp-description" }, ["Description"]),
      this.description,
      h("label", label, { for: "bp-email" }, ["Email (optional)"]),
      this.email,
      h("label", { ...label, fontWeight: "400", fontSize: "13px" }, { for: "bp-shot" }, [this.shot, "Include a screenshot of this page"]),
      this.shotNote,
      this.status,
      this.send,
    ]);
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      if (!this.title.value.trim()) {
        this.showStatus("Please give the report a title.", "error");
        this.title.focus();
        return;
      }
      this.handlers.onSubmit(this.values());
    });
    this.form.addEventListener("input", () => this.handlers.onInput(this.values()));

    this.panel = h(
      "div",
      {
        position: "fixed",
        bottom: "70px",
        [side]: "20px",
        zIndex: String(t.zIndex),
        width: "340px",
        maxWidth: "calc(100vw - 40px)",
        background: bg,
        color: fg,
        border: `1px solid ${border}`,
        borderRadius: "10px",
        padding: "14px",
        boxShadow: "0 10px 30px rgba(0,0,0,.25)",
        display: "none",
        font: `14px ${font}`,
      } as Styles,
      { role: "dialog", "aria-label": "Report a bug", "data-bugport": "panel" },
      [closeBtn, h("div", { font: `600 16px ${font}`, margin: "0 0 10px" }, {}, ["Report a bug"]), this.form],
    );
    this.root.append(this.launcher, this.panel);
  }

  isOpen = false;

  mount(): void {
    (this.opts.container || document.body).append(this.host);
  }

  unmount(): void {
    this.host.remove();
  }

  open(): void {
    this.handlers.onOpen();
    this.isOpen = true;
    this.panel.style.display = "block";
    this.title.focus();
  }

  close(): void {
    this.isOpen = false;
    this.panel.style.display = "none";
  }

  values(): FormValues {
    return {
      title: this.title.value.trim(),
      description: this.description.value,
      email: this.email.value.trim(),
      includeScreenshot: this.shot.checked,
    };
  }

  fill(v: Partial<FormValues>): void {
    if (v.title !== undefined) this.title.value = v.title;
    if (v.description !== undefined) this.description.value = v.description;
    if (v.email !== undefined) this.email.value = v.email;
    if (v.includeScreenshot !== undefined) this.shot.checked = v.includeScreenshot;
  }

  busy(on: boolean, label = "Sending…"): void {
    this.send.disabled = on;
    this.send.textContent = on ? label : "Send report";
    this.send.style.opacity = on ? "0.6" : "1";
  }

  blockSending(on: boolean): void {
    this.send.disabled = on;
    this.send.style.opacity = on ? "0.6" : "1";
  }

  showStatus(message: string, kind: "error" | "ok" | "info"): void {
    this.status.textContent = message;
    this.status.setAttribute("data-kind", kind);
    this.status.style.display = message ? "block" : "none";
    this.status.style.background = kind === "error" ? "#fee2e2" : kind === "ok" ? "#dcfce7" : "#e0e7ff";
    this.status.style.color = kind === "error" ? "#991b1b" : kind === "ok" ? "#166534" : "#3730a3";
  }

  screenshotNote(message: string): void {
    this.shotNote.textContent = message;
  }

  retryLabel(): void {
    this.send.textContent = "Retry sending";
  }
}
