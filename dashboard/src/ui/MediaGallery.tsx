import { useEffect, useRef, useState } from "react";

export interface MediaView {
  id: string;
  kind: string;
  status: string;
  filename: string;
  content_type: string;
  download_url: string | null;
  thumbnail_url?: string | null;
}

export function asMediaView(m: Record<string, unknown>): MediaView | null {
  if (typeof m.id !== "string") return null;
  const s = (k: string) => (typeof m[k] === "string" ? (m[k] as string) : "");
  return {
    id: m.id,
    kind: s("kind"),
    status: s("status") || "ready",
    filename: s("filename") || "attachment",
    content_type: s("content_type"),
    download_url: s("download_url") || null,
    thumbnail_url: s("thumbnail_url") || null,
  };
}

function Lightbox({ media, onClose }: { media: MediaView; onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
  }, []);
  return (
    <dialog ref={ref} className="lightbox" aria-label={media.filename} onClose={onClose} onClick={(e) => e.target === ref.current && onClose()}>
      <img src={media.download_url ?? ""} alt={`Screenshot: ${media.filename}`} />
      <form method="dialog">
        <button className="btn" type="submit" autoFocus>
          Close
        </button>
      </form>
    </dialog>
  );
}

/** Screenshots (thumbnails, lightbox), videos (player), other files (download). */
export function MediaGallery({ media }: { media: MediaView[] }) {
  const [open, setOpen] = useState<MediaView | null>(null);
  const shown = media.filter((m) => m.status !== "expired" && m.status !== "deleted");
  if (shown.length === 0) return null;
  return (
    <section className="media-gallery" aria-label="Attachments">
      {shown.map((m) => {
        if (m.status !== "ready" || !m.download_url) {
          return (
            <div key={m.id} className="thumb thumb-pending" role="img" aria-label={`${m.filename}: ${m.status === "failed" ? "upload failed" : "uploading"}`}>
              <span className="muted">{m.status === "failed" ? "Upload failed" : "Uploading…"}</span>
              <span className="muted small">{m.filename}</span>
            </div>
          );
        }
        if (m.kind === "screenshot" || m.content_type.startsWith("image/")) {
          return (
            <button key={m.id} type="button" className="thumb" onClick={() => setOpen(m)} aria-label={`Open screenshot ${m.filename}`}>
              <img src={m.thumbnail_url || m.download_url || ""} alt="" loading="lazy" />
            </button>
          );
        }
        if (m.kind === "video" || m.content_type.startsWith("video/")) {
          return <video key={m.id} className="video" controls preload="metadata" src={m.download_url ?? undefined} />;
        }
        return (
          <a key={m.id} className="attachment" href={m.download_url ?? "#"} download={m.filename} rel="noreferrer">
            {m.filename}
          </a>
        );
      })}
      {open && <Lightbox media={open} onClose={() => setOpen(null)} />}
    </section>
  );
}
