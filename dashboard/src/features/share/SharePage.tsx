import { useQuery } from "@tanstack/react-query";
import { useEffect } from "react";
import { useParams } from "react-router";
import { api, call } from "../../api/client";
import { isApiError } from "../../api/errors";
import { SeverityBadge, StatusBadge, Label } from "../../ui/Badge";
import { ConsoleViewer } from "../../ui/ConsoleViewer";
import { EnvironmentTable } from "../../ui/Environment";
import { Markdown } from "../../ui/Markdown";
import { MediaGallery, type MediaView } from "../../ui/MediaGallery";
import { NetworkViewer } from "../../ui/NetworkViewer";
import { ErrorNote, Loading } from "../../ui/states";
import { fullTime } from "../../ui/time";

/** `<meta name=…>` while the page is shown (the server also sends X-Robots-Tag/Referrer-Policy). */
function useMeta(name: string, content: string) {
  useEffect(() => {
    const el = document.createElement("meta");
    el.name = name;
    el.content = content;
    document.head.appendChild(el);
    return () => el.remove();
  }, [name, content]);
}

function ShareNotFound() {
  return (
    <main className="page-message share-missing" data-testid="share-not-found">
      <h1>This link doesn't work</h1>
      <p>The share link is unknown, has expired or was revoked. Ask whoever sent it for a new one.</p>
    </main>
  );
}

/** The public page of a share link: what `GET /v1/public/share/bug/{share_id}` returns, read-only,
 * for someone without an account. Unknown, expired and revoked links look the same. */
export default function SharePage() {
  const { shareId = "" } = useParams();
  useMeta("robots", "noindex, nofollow");
  useMeta("referrer", "no-referrer");
  const share = useQuery({
    queryKey: ["public-share", shareId],
    queryFn: () => call(api.GET("/v1/public/share/bug/{share_id}", { params: { path: { share_id: shareId } } })),
    retry: false,
  });
  useEffect(() => {
    document.title = share.data ? `${share.data.key}: ${share.data.title} · BugPort` : "BugPort";
  }, [share.data]);

  if (share.isPending) return <Loading label="Loading the shared report…" />;
  if (share.isError) {
    if (isApiError(share.error) && (share.error.status === 404 || share.error.status === 422)) return <ShareNotFound />;
    return (
      <main className="page-message">
        <h1>Could not load this report</h1>
        <ErrorNote error={share.error} onRetry={() => share.refetch()} />
      </main>
    );
  }
  const bug = share.data;
  // Public files carry no id: their share routes (which redirect to signed URLs) name them.
  const media: MediaView[] = bug.media.map((m) => ({
    id: m.url,
    kind: m.kind,
    status: "ready",
    filename: m.filename,
    content_type: m.content_type,
    download_url: m.url,
    thumbnail_url: m.thumbnail_url ?? null,
  }));
  return (
    <main className="share-page">
      <header className="share-head">
        <p className="muted">Shared bug report · BugPort</p>
        <h1>
          <span className="mono muted">{bug.key}</span> {bug.title}
        </h1>
        <div className="row wrap">
          <StatusBadge status={bug.status} />
          <SeverityBadge severity={bug.severity} />
          {bug.labels.map((l) => (
            <Label key={l} name={l} />
          ))}
          <span className="muted">Reported {fullTime(bug.created_at)}</span>
        </div>
      </header>
      <section className="panel">
        <h2>Description</h2>
        {bug.description ? <Markdown text={bug.description} /> : <p className="muted">No description.</p>}
        {bug.repro_steps && (
          <>
            <h3>Steps to reproduce</h3>
            <Markdown text={bug.repro_steps} />
          </>
        )}
        {bug.page_url && (
          <p>
            Page: <span className="break mono">{bug.page_url}</span>
          </p>
        )}
      </section>
      {media.length > 0 && <MediaGallery media={media} />}
      <section className="panel">
        <h2>Environment</h2>
        <EnvironmentTable env={bug.environment} />
      </section>
      <section className="panel">
        <h2>Console ({bug.logs.length})</h2>
        <ConsoleViewer logs={bug.logs} since={bug.created_at} />
      </section>
      <section className="panel">
        <h2>Network ({bug.network.length})</h2>
        <NetworkViewer entries={bug.network} since={bug.created_at} />
      </section>
    </main>
  );
}
