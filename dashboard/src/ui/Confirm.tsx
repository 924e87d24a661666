import { useEffect, useId, useRef, useState, type ReactNode } from "react";

/** A modal confirmation for a destructive action: it names what is destroyed, and with
 * `typeToConfirm` the button stays disabled until that exact text is typed. Esc cancels. */
export function ConfirmDialog({
  title,
  children,
  confirmLabel,
  typeToConfirm,
  busy = false,
  ready = true,
  onConfirm,
  onCancel,
}: {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  typeToConfirm?: string;
  busy?: boolean;
  /** False while what the dialog describes is still loading: the button waits. */
  ready?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const [typed, setTyped] = useState("");
  const id = useId();
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
  }, []);
  const ok = !typeToConfirm || typed === typeToConfirm;
  return (
    <dialog ref={ref} className="confirm" aria-labelledby={`${id}-t`} aria-describedby={`${id}-d`} onClose={onCancel}>
      <form
        method="dialog"
        className="stack"
        onSubmit={(e) => {
          e.preventDefault();
          if (ok && ready && !busy) onConfirm();
        }}
      >
        <h2 id={`${id}-t`}>{title}</h2>
        <div id={`${id}-d`}>{children}</div>
        {typeToConfirm && (
          <label className="stack">
            <span>
              Type <strong className="mono">{typeToConfirm}</strong> to confirm
            </span>
            <input className="input" aria-label="Type the name to confirm" value={typed} onChange={(e) => setTyped(e.target.value)} autoFocus autoComplete="off" />
          </label>
        )}
        <div className="row">
          <button type="submit" className="btn btn-danger-solid" disabled={!ok || busy || !ready} autoFocus={!typeToConfirm}>
            {busy ? "Working…" : confirmLabel}
          </button>
          <button type="button" className="btn" onClick={onCancel}>
            Cancel
          </button>
        </div>
      </form>
    </dialog>
  );
}

/** Copies text; says so (or says it could not) where screen readers hear it. */
export function CopyButton({ text, label = "Copy", className = "btn btn-small" }: { text: string; label?: string; className?: string }) {
  const [note, setNote] = useState<string | null>(null);
  return (
    <>
      <button
        type="button"
        className={className}
        onClick={async () => {
          try {
            await navigator.clipboard.writeText(text);
            setNote("Copied");
          } catch {
            setNote("Could not copy: select the text and copy it");
          }
        }}
      >
        {label}
      </button>
      <span role="status" className="muted small copy-note">
        {note}
      </span>
    </>
  );
}
