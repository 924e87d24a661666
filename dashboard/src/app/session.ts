import { api, call } from "../api/client";

export type PublicConfig = Awaited<ReturnType<typeof loadConfig>>;

let config: Promise<{ supabase_url: string | null; supabase_anon_key: string | null; auth_modes: string[] }> | null = null;

/** `GET /v1/public/config`, once per page load. */
export function loadConfig() {
  config ??= call(api.GET("/v1/public/config")).catch((e) => {
    config = null;
    throw e;
  });
  return config;
}

/** With Supabase configured, start its client (session refresh) as soon as the app loads. */
export async function startSupabase() {
  const cfg = await loadConfig();
  if (!cfg.supabase_url || !cfg.supabase_anon_key) return null;
  const { supabase } = await import("../features/signin/supabase");
  return supabase(cfg.supabase_url, cfg.supabase_anon_key);
}

/** How the user is signed in, for "Sign out everywhere": only a Supabase session can be ended
 * on every device (GoTrue's `POST /auth/v1/logout?scope=global`). Local mode signs its own
 * tokens and keeps no sessions; a token pasted on a Supabase server has no session behind it. */
export type SessionKind =
  | { kind: "local" }
  | { kind: "pasted_token" }
  | { kind: "supabase"; signOutEverywhere: () => Promise<void> };

export async function sessionKind(): Promise<SessionKind> {
  const cfg = await loadConfig();
  if (!cfg.supabase_url || !cfg.supabase_anon_key) return { kind: "local" };
  const { supabase, signOutEverywhere } = await import("../features/signin/supabase");
  const c = supabase(cfg.supabase_url, cfg.supabase_anon_key);
  const { data } = await c.auth.getSession();
  if (!data.session) return { kind: "pasted_token" };
  return { kind: "supabase", signOutEverywhere: () => signOutEverywhere(c) };
}
