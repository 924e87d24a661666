import { Fragment } from "react";

const ORDER: [string, string][] = [
  ["browser", "Browser"],
  ["browser_version", "Browser version"],
  ["os", "OS"],
  ["os_version", "OS version"],
  ["device", "Device"],
  ["viewport", "Viewport"],
  ["screen", "Screen"],
  ["pixel_ratio", "Pixel ratio"],
  ["locale", "Locale"],
  ["timezone", "Time zone"],
  ["user_agent", "User agent"],
];

function text(v: unknown): string {
  if (v == null) return "";
  return typeof v === "object" ? JSON.stringify(v) : String(v);
}

/** Browser, OS, viewport, locale…: as text, in a fixed order, unknown keys after. */
export function EnvironmentTable({ env }: { env: Record<string, unknown> }) {
  const e: Record<string, unknown> = { ...env };
  if (e.viewport_width != null) e.viewport = `${text(e.viewport_width)} × ${text(e.viewport_height)}`;
  if (e.screen_width != null) e.screen = `${text(e.screen_width)} × ${text(e.screen_height)}`;
  const known = new Set([...ORDER.map(([k]) => k), "viewport_width", "viewport_height", "screen_width", "screen_height"]);
  const rows: [string, string][] = [
    ...ORDER.filter(([k]) => e[k] != null && e[k] !== "").map(([k, label]): [string, string] => [label, text(e[k])]),
    ...Object.keys(e)
      .filter((k) => !known.has(k))
      .map((k): [string, string] => [k, text(e[k])]),
  ];
  if (rows.length === 0) return <p className="muted">No environment was captured.</p>;
  return (
    <dl className="kv env">
      {rows.map(([k, v]) => (
        <Fragment key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </Fragment>
      ))}
    </dl>
  );
}

/** Custom metadata from the host app: keys and JSON values as text. */
export function MetadataTable({ data }: { data: Record<string, unknown> }) {
  const rows = Object.entries(data);
  if (rows.length === 0) return <p className="muted">No custom metadata.</p>;
  return (
    <dl className="kv">
      {rows.map(([k, v]) => (
        <Fragment key={k}>
          <dt>{k}</dt>
          <dd>
            <code>{typeof v === "string" ? v : JSON.stringify(v)}</code>
          </dd>
        </Fragment>
      ))}
    </dl>
  );
}
