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
