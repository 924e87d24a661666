import { useState } from "react";
import { Link } from "react-router";
import { ErrorNote, Loading } from "../../ui/states";
import { bytes, fullTime } from "../../ui/time";
import { atLeast, useBilling, useChangeStorageAddons, useCheckout, usePlans, usePortal, useStorage, useStorageAddons } from "./api";
import { useSettings } from "./SettingsLayout";

const KINDS: [string, string][] = [
  ["screenshot", "Screenshots"],
  ["video", "Videos"],
  ["attachment", "Attachments"],
  ["har", "HAR / debug files"],
];

function money(minor: number, currency: string): string {
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency: currency.toUpperCase() }).format(minor / 100);
  } catch {
    return `${(minor / 100).toFixed(2)} ${currency.toUpperCase()}`;
  }
}

function size(n: number | null | undefined): string {
  return n == null ? "unlimited" : bytes(n) || "0 B";
}

/** Send the browser to a Stripe page (Checkout, Customer Portal). */
function go(url: string): void {
  window.location.assign(url);
}

export function BillingPage() {
  const { workspace, role } = useSettings();
  return (
    <main className="admin-page" aria-labelledby="billing-h">
      <h1 id="billing-h">Storage &amp; billing</h1>
      <StorageUsage workspaceId={workspace.id} />
      {atLeast(role, "admin") ? (
        <Billing workspaceId={workspace.id} isOwner={role === "owner"} />
      ) : (
        <p className="hint">The plan and billing are visible to admins and managed by owners.</p>
      )}
    </main>
  );
}

function StorageUsage({ workspaceId }: { workspaceId: string }) {
  const storage = useStorage(workspaceId);
  if (storage.isError) return <ErrorNote error={storage.error} onRetry={() => storage.refetch()} />;
  if (storage.isPending) return <Loading label="Loading storage…" />;
  const s = storage.data;
  const kinds = s.by_kind ?? {};
  const biggest = s.biggest_bugs ?? [];
  const scale = Math.max(s.quota_bytes ?? 0, s.used_bytes + s.reserved_bytes, 1);
  return (
    <section className="panel" aria-labelledby="storage-h">
      <h2 id="storage-h">Storage</h2>
      <p data-testid="storage-summary">
        <strong>{size(s.used_bytes)}</strong> used{s.reserved_bytes ? ` (+ ${size(s.reserved_bytes)} uploading)` : ""} of{" "}
        <strong>{size(s.quota_bytes)}</strong>
        {s.percent_used != null && ` · ${s.percent_used}%`}
      </p>
      <div
        className="usage-bar"
        role="img"
        aria-label={`Storage by kind: ${KINDS.map(([k, l]) => `${l} ${size(kinds[k] ?? 0)}`).join(", ")}${s.quota_bytes ? `, of ${size(s.quota_bytes)}` : ""}`}
      >
        {KINDS.map(([k]) => (
          <span key={k} className={`kind-${k}`} style={{ width: `${((kinds[k] ?? 0) / scale) * 100}%` }} />
        ))}
      </div>
      <ul className="legend" data-testid="storage-kinds">
        {KINDS.map(([k, label]) => (
          <li key={k}>
            <span className={`swatch kind-${k}`} aria-hidden="true" />
            {label}: {size(kinds[k] ?? 0)}
          </li>
        ))}
      </ul>
      <h3>Biggest bugs</h3>
      {biggest.length === 0 ? (
        <p className="muted">No files stored yet.</p>
      ) : (
        <table className="table" aria-label="Biggest bugs by bytes">
          <thead>
            <tr>
              <th scope="col">Bug</th>
              <th scope="col">Files</th>
            </tr>
          </thead>
          <tbody>
            {biggest.map((b) => (
              <tr key={b.bug_id} data-testid="big-bug">
                <td>
                  <Link to={`/bugs/${b.bug_id}`}>
                    <span className="mono muted">{b.key}</span> {b.title}
                  </Link>
                </td>
                <td>{size(b.bytes)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Billing({ workspaceId, isOwner }: { workspaceId: string; isOwner: boolean }) {
  const billing = useBilling(workspaceId, true);
  const plans = usePlans();
  const checkout = useCheckout(workspaceId);
  const portal = usePortal(workspaceId);
  const [interval, setInterval] = useState<"monthly" | "yearly">("monthly");
  if (billing.isError) return <ErrorNote error={billing.error} onRetry={() => billing.refetch()} />;
  if (plans.isError) return <ErrorNote error={plans.error} onRetry={() => plans.refetch()} />;
  if (billing.isPending || plans.isPending) return <Loading label="Loading billing…" />;
  const b = billing.data;
  const catalogue = plans.data;
  if (!b.billing_enabled)
    return (
      <section className="panel" aria-labelledby="plan-h" data-testid="billing-off">
        <h2 id="plan-h">Billing is off on this server</h2>
        <p>
          This BugPort is self-hosted: there is nothing to pay here, and no payment provider is configured. Storage limits, if any, are set by the
          server's operator ({b.storage.quota_bytes == null ? "currently unlimited" : `currently ${size(b.storage.quota_bytes)}`}).
        </p>
      </section>
    );
  const current = b.plan_id;
  return (
    <>
      <section className="panel" aria-labelledby="plan-h">
        <h2 id="plan-h">Plan</h2>
        <p data-testid="billing-status">
          <strong>{b.plan_name ?? current ?? "Free"}</strong> · {b.status.replace(/_/g, " ")}
          {b.interval && ` · billed ${b.interval}`}
          {b.current_period_end && ` · ${b.cancel_at_period_end ? "ends" : "renews"} ${fullTime(b.current_period_end)}`}
        </p>
        {b.status === "past_due" && b.grace_period_ends_at && (
          <p className="error-note">Payment failed. The paid quota is kept until {fullTime(b.grace_period_ends_at)}; update the card in the portal.</p>
        )}
        {isOwner && b.has_customer && (
          <button type="button" className="btn" disabled={portal.isPending} onClick={() => portal.mutate(undefined, { onSuccess: (p) => go(p.url) })}>
            {portal.isPending ? "Opening…" : "Manage billing (Stripe)"}
          </button>
        )}
        {portal.isError && <ErrorNote error={portal.error} />}
        {!isOwner && <p className="hint">Only owners change the plan.</p>}
      </section>
      <section className="panel" aria-labelledby="plans-h">
        <h2 id="plans-h">Plans</h2>
        <fieldset className="chips" aria-label="Billing interval">
          <legend className="sr-only">Billing interval</legend>
          {(["monthly", "yearly"] as const).map((i) => (
            <label key={i} className="chip">
              <input type="radio" name="interval" checked={interval === i} onChange={() => setInterval(i)} />
              {i}
            </label>
          ))}
        </fieldset>
        <div className="plans">
          {catalogue.data.map((p) => {
            const price = interval === "monthly" ? p.monthly_price : p.yearly_price;
            const isCurrent = p.id === current;
            const paid = p.monthly_price > 0 || p.yearly_price > 0;
            return (
              <div key={p.id} className={`plan${isCurrent ? " is-current" : ""}`} data-testid="plan" data-plan={p.id}>
                <h3>{p.name}</h3>
                <p>
                  {price ? `${money(price, catalogue.currency)} / ${interval === "monthly" ? "month" : "year"}` : "Free"}
                  <br />
                  <span className="muted">{size(p.storage_bytes)} storage · unlimited members</span>
                </p>
                {isCurrent ? (
                  <p className="field-ok">Current plan</p>
                ) : isOwner && paid && p.intervals.includes(interval) ? (
                  <button
                    type="button"
                    className="btn btn-primary btn-small"
                    disabled={checkout.isPending}
                    onClick={() => checkout.mutate({ plan: p.id, interval }, { onSuccess: (cs) => go(cs.url) })}
                  >
                    {b.has_customer && current !== catalogue.default_plan ? `Switch to ${p.name}` : `Upgrade to ${p.name}`}
                  </button>
                ) : null}
              </div>
            );
          })}
        </div>
        {checkout.isError && <ErrorNote error={checkout.error} />}
      </section>
      <Addons workspaceId={workspaceId} isOwner={isOwner} currency={catalogue.currency} />
    </>
  );
}

function Addons({ workspaceId, isOwner, currency }: { workspaceId: string; isOwner: boolean; currency: string }) {
  const addons = useStorageAddons(workspaceId, true);
  const change = useChangeStorageAddons(workspaceId);
  const [qty, setQty] = useState<number | null>(null);
  if (addons.isError) return <ErrorNote error={addons.error} />;
  if (addons.isPending) return null;
  const a = addons.data;
  const wanted = qty ?? a.quantity;
  return (
    <section className="panel" aria-labelledby="addons-h">
      <h2 id="addons-h">Storage add-ons</h2>
      <p>
        {a.quantity} block{a.quantity === 1 ? "" : "s"} of {size(a.block_bytes)} ({money(a.monthly_price, currency)} / month each)
        {a.quantity > 0 && ` · ${size(a.addon_bytes)} extra`}.
      </p>
      {!a.available ? (
        <p className="hint">Storage blocks can be added to an active paid subscription.</p>
      ) : isOwner ? (
        <form
          className="row"
          onSubmit={(e) => {
            e.preventDefault();
            change.mutate(wanted);
          }}
        >
          <label className="stack-inline">
            Blocks
            <input className="input small" type="number" min={0} max={a.max_quantity} value={wanted} onChange={(e) => setQty(Number(e.target.value))} />
          </label>
          <button type="submit" className="btn btn-small" disabled={change.isPending || wanted === a.quantity}>
            Change
          </button>
          {change.isSuccess && <span role="status">Sent to Stripe; the quota follows once Stripe confirms.</span>}
        </form>
      ) : null}
      {change.isError && <ErrorNote error={change.error} />}
    </section>
  );
}
