import { useEffect, useState, type FormEvent } from "react";
import { ConfirmDialog, CopyButton } from "../../ui/Confirm";
import { Empty, ErrorNote, Loading } from "../../ui/states";
import { age, fullTime } from "../../ui/time";
import {
  useCreateWebhook,
  useDeleteWebhook,
  usePingWebhook,
  useUpdateWebhook,
  useWebhookDeliveries,
  useWebhooks,
  type Webhook,
  type WebhookCreated,
} from "./api";

/** The event types of docs/webhooks.md (bugport.events.outbox.ALL_TYPES; a browser test fails
 * when the two differ). */
export const EVENT_TYPES = [
  "bug.created",
  "bug.status_changed",
  "bug.severity_changed",
  "bug.priority_changed",
  "bug.assignee_changed",
  "bug.labels_changed",
  "bug.title_edited",
  "bug.description_edited",
  "bug.repro_steps_edited",
  "bug.metadata_changed",
  "comment.created",
  "comment.edited",
  "comment.deleted",
  "media.attached",
  "share_link.created",
  "share_link.revoked",
  "bug.tracker_pushed",
  "bug.deleted",
  "webhook.disabled",
];

/** Outgoing webhooks (docs/webhooks.md): admins only (webhook.manage). */
export function WebhooksSection({ workspaceId, isAdmin }: { workspaceId: string; isAdmin: boolean }) {
  const hooks = useWebhooks(workspaceId, isAdmin);
  const [created, setCreated] = useState<WebhookCreated | null>(null);
  return (
    <section className="panel" aria-labelledby="webhooks-h">
      <h2 id="webhooks-h">Outgoing webhooks</h2>
      <p className="hint">
        BugPort POSTs each event (a new bug, a status change, a comment…) to your URL, signed with the endpoint's secret (Standard Webhooks), with
        retries.
      </p>
      {!isAdmin ? (
        <p className="hint">Only admins and owners see and manage webhooks.</p>
      ) : (
        <>
          {created ? (
            <div className="secret-box" data-testid="webhook-created">
              <h3>Webhook added</h3>
              <p>
                <strong>Copy the signing secret now: you won't see it again.</strong> Verify each delivery's <code>webhook-signature</code> with it.
              </p>
              <div className="row">
                <input className="input mono grow" readOnly aria-label="Signing secret" value={created.secret} onFocus={(e) => e.target.select()} />
                <CopyButton text={created.secret} label="Copy secret" />
              </div>
              <button type="button" className="btn" onClick={() => setCreated(null)}>
                I've copied it — hide the secret
              </button>
            </div>
          ) : (
            <CreateWebhook workspaceId={workspaceId} onCreated={setCreated} />
          )}
          {hooks.isError ? (
            <ErrorNote error={hooks.error} onRetry={() => hooks.refetch()} />
          ) : hooks.isPending ? (
            <Loading label="Loading webhooks…" />
          ) : hooks.data.length === 0 ? (
            <Empty title="No webhooks yet">Add an endpoint above to receive events.</Empty>
          ) : (
            <ul className="provider-list" aria-label="Webhook endpoints">
              {hooks.data.map((h) => (
                <WebhookItem key={h.id} hook={h} workspaceId={workspaceId} />
              ))}
            </ul>
          )}
        </>
      )}
    </section>
  );
}

function CreateWebhook({ workspaceId, onCreated }: { workspaceId: string; onCreated: (w: WebhookCreated) => void }) {
  const create = useCreateWebhook(workspaceId);
  const [url, setUrl] = useState("");
  const [description, setDescription] = useState("");
  const [types, setTypes] = useState<Set<string>>(new Set());
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate(
      { url: url.trim(), kind: "standard", enabled: true, description: description.trim() || null, event_types: [...types] },
      {
        onSuccess: (w) => {
          setUrl("");
          setDescription("");
          setTypes(new Set());
          onCreated(w);
        },
      },
    );
  };
  return (
    <form className="stack" onSubmit={submit} aria-label="Add a webhook">
      <label className="stack-inline">
        Endpoint URL
        <input className="input mono" type="url" required maxLength={2048} value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://example.com/bugport" />
      </label>
      <label className="stack-inline">
        Description (optional)
        <input className="input" maxLength={500} value={description} onChange={(e) => setDescription(e.target.value)} />
      </label>
      <fieldset className="stack">
        <legend>Events (none picked: every event)</legend>
        <div className="chips" role="group" aria-label="Event types">
          {EVENT_TYPES.map((t) => (
            <label key={t} className="chip">
              <input
                type="checkbox"
                checked={types.has(t)}
                onChange={() =>
                  setTypes((prev) => {
                    const next = new Set(prev);
                    if (next.has(t)) next.delete(t);
                    else next.add(t);
                    return next;
                  })
                }
              />
              <code>{t}</code>
            </label>
          ))}
        </div>
      </fieldset>
      <div>
        <button type="submit" className="btn btn-primary btn-small" disabled={create.isPending}>
          {create.isPending ? "Adding…" : "Add webhook"}
        </button>
      </div>
      {create.isError && <ErrorNote error={create.error} />}
    </form>
  );
}

function WebhookItem({ hook, workspaceId }: { hook: Webhook; workspaceId: string }) {
  const update = useUpdateWebhook(workspaceId);
  const del = useDeleteWebhook(workspaceId);
  const ping = usePingWebhook(hook.id);
  const [open, setOpen] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [enabled, setEnabled] = useState(hook.enabled);
  useEffect(() => setEnabled(hook.enabled), [hook.enabled]);
  const deliveries = useWebhookDeliveries(hook.id, open);
  return (
    <li data-testid="webhook" data-url={hook.url}>
      <div className="row wrap">
        <strong className="mono">{hook.url}</strong>
        {hook.kind !== "standard" && <span className="badge">{hook.kind}</span>}
        <span className={`badge ${hook.enabled ? "conn-active" : "conn-needs_reauth"}`}>{hook.enabled ? "enabled" : "disabled"}</span>
      </div>
      {hook.description && <p>{hook.description}</p>}
      <p className="muted small">
        Events: {hook.event_types.length ? hook.event_types.join(", ") : "all"}
        {hook.consecutive_failures > 0 && ` · ${hook.consecutive_failures} deliveries in a row failed`}
        {hook.disabled_reason && ` · disabled by BugPort: ${hook.disabled_reason}`}
      </p>
      <div className="row wrap">
        <label className="row">
          <input
            type="checkbox"
            checked={enabled}
            disabled={update.isPending}
            onChange={(e) => {
              const on = e.target.checked;
              setEnabled(on);
              update.mutate({ id: hook.id, body: { enabled: on } }, { onError: () => setEnabled(hook.enabled) });
            }}
          />
          Enabled
        </label>
        <button type="button" className="btn btn-small" onClick={() => (setOpen(true), ping.mutate())} disabled={ping.isPending}>
          {ping.isPending ? "Sending…" : "Send test event"}
        </button>
        <button type="button" className="btn btn-small" aria-expanded={open} onClick={() => setOpen((o) => !o)}>
          {open ? "Hide deliveries" : "Recent deliveries"}
        </button>
        <button type="button" className="btn btn-small btn-danger" onClick={() => setDeleting(true)}>
          Delete webhook
        </button>
      </div>
      {ping.data && (
        <p role="status" data-testid="ping-result" className={ping.data.succeeded ? "field-ok" : "field-error"}>
          {ping.data.succeeded
            ? `Test event delivered: HTTP ${ping.data.status_code} in ${ping.data.latency_ms} ms.`
            : `Test event failed: ${ping.data.error ?? `HTTP ${ping.data.status_code}`}`}
        </p>
      )}
      {ping.isError && <ErrorNote error={ping.error} />}
      {update.isError && <ErrorNote error={update.error} />}
      {del.isError && <ErrorNote error={del.error} />}
      {open &&
        (deliveries.isError ? (
          <ErrorNote error={deliveries.error} onRetry={() => deliveries.refetch()} />
        ) : deliveries.isPending ? (
          <Loading label="Loading deliveries…" />
        ) : deliveries.data.length === 0 ? (
          <p className="muted">No deliveries yet.</p>
        ) : (
          <table className="table" aria-label={`Deliveries to ${hook.url}`}>
            <thead>
              <tr>
                <th scope="col">Event</th>
                <th scope="col">Attempt</th>
                <th scope="col">Result</th>
                <th scope="col">When</th>
              </tr>
            </thead>
            <tbody>
              {deliveries.data.map((a) => (
                <tr key={a.id} data-testid="delivery">
                  <td className="mono">{a.event_type}</td>
                  <td>{a.attempt}</td>
                  <td className={a.succeeded ? "field-ok" : "field-error"}>
                    {a.status_code ? `HTTP ${a.status_code}` : "no answer"}
                    {a.error ? ` · ${a.error}` : ""} · {a.latency_ms} ms
                  </td>
                  <td title={fullTime(a.created_at)}>{age(a.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ))}
      {deleting && (
        <ConfirmDialog
          title="Delete this webhook?"
          confirmLabel="Delete webhook"
          busy={del.isPending}
          onCancel={() => setDeleting(false)}
          onConfirm={() => del.mutate(hook.id, { onSettled: () => setDeleting(false) })}
        >
          <p>
            <span className="mono">{hook.url}</span> stops receiving events at once, and its delivery log is deleted.
          </p>
        </ConfirmDialog>
      )}
    </li>
  );
}
