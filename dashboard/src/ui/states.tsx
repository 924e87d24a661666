import type { ReactNode } from "react";
import { Link } from "react-router";
import { isApiError } from "../api/errors";

export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <div className="state state-loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {label}
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state state-empty">
      <h2>{title}</h2>
      {children}
    </div>
  );
}

/** An API error, always with its message and machine code; never a blank page. */
export function ErrorNote({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const message = error instanceof Error ? error.message : String(error);
  return (
    <div className="error-note" role="alert">
      <strong>{message}</strong>
      {isApiError(error) && (
        <span className="error-code">
          {" "}
          (<code>{error.code}</code>
          {error.status ? `, HTTP ${error.status}` : ""})
        </span>
      )}
      {isApiError(error) && error.details.length > 0 && (
        <ul>
          {error.details.map((d, i) => (
            <li key={i}>
              <code>{d.field}</code>: {d.message}
            </li>
          ))}
        </ul>
      )}
      {onRetry && (
        <button type="button" className="btn btn-small" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function NotFoundPage({ what = "page" }: { what?: string }) {
  return (
    <main className="page-message" data-testid="not-found">
      <h1>Not found</h1>
      <p>This {what} doesn't exist, or you don't have access to it.</p>
      <p>
        <Link to="/">Back to the inbox</Link>
      </p>
    </main>
  );
}

export function ForbiddenPage() {
  return (
    <main className="page-message" data-testid="forbidden">
      <h1>No access</h1>
      <p>Your role in this workspace doesn't allow this. Ask a workspace admin.</p>
      <p>
        <Link to="/">Back to the inbox</Link>
      </p>
    </main>
  );
}

/** A whole-page error: 404 and 403 get their own pages, the rest the error with its code. */
export function PageError({ error, what, onRetry }: { error: unknown; what?: string; onRetry?: () => void }) {
  if (isApiError(error) && error.status === 404) return <NotFoundPage what={what} />;
  if (isApiError(error) && error.status === 403) return <ForbiddenPage />;
  return (
    <main className="page-message">
      <h1>Something went wrong</h1>
      <ErrorNote error={error} onRetry={onRetry} />
    </main>
  );
}
