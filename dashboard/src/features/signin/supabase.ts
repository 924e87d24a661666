// Supabase Auth in the browser (loaded only when the server has Supabase configured): email +
// password, magic link, session refresh and sign-out. Every new access token (sign-in, refresh)
// becomes the API's bearer token; signing out of Supabase signs out of the dashboard.
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import { setToken, setSignOutHook } from "../../api/token";

let client: SupabaseClient | null = null;

export function supabase(url: string, anonKey: string): SupabaseClient {
  if (client) return client;
  const c = createClient(url, anonKey, {
    auth: {
      persistSession: true,
      autoRefreshToken: true,
      // The magic link returns to /signin#access_token=…: picked up here, then removed.
      detectSessionInUrl: true,
      flowType: "implicit",
      storageKey: "bugport.supabase",
    },
  });
  c.auth.onAuthStateChange((event, session) => {
    if (session?.access_token) setToken(session.access_token);
    else if (event === "SIGNED_OUT") setToken(null);
  });
  setSignOutHook(async () => {
    await c.auth.signOut({ scope: "local" });
  });
  client = c;
  return c;
}

/** Ends every session of the user at Supabase (all devices: their refresh tokens stop working),
 * then this one. Supabase-js ignores 401/403/404 (the session is already gone); any other
 * refusal is thrown and the user stays signed in here. */
export async function signOutEverywhere(c: SupabaseClient): Promise<void> {
  const { error } = await c.auth.signOut({ scope: "global" });
  if (error) throw new Error(`Supabase did not sign you out everywhere: ${error.message}`);
  setToken(null);
}

export async function currentToken(c: SupabaseClient): Promise<string | null> {
  const { data } = await c.auth.getSession();
  return data.session?.access_token ?? null;
}
