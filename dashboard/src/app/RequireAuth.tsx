import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useState, useSyncExternalStore, type ReactNode } from "react";
import { Navigate, useLocation, useNavigate } from "react-router";
import { onUnauthorized } from "../api/client";
import { getToken, onTokenChange } from "../api/token";
import { Loading } from "../ui/states";
import { startSupabase } from "./session";

export function useToken(): string | null {
  return useSyncExternalStore(onTokenChange, getToken, () => null);
}

function hasSupabaseSession(): boolean {
  try {
    return localStorage.getItem("bugport.supabase") !== null;
  } catch {
    return false;
  }
}

export function signinPath(location: { pathname: string; search: string; hash: string }): string {
  const next = location.pathname + location.search + location.hash;
  return next && next !== "/" ? `/signin?next=${encodeURIComponent(next)}` : "/signin";
}

/** The sign-in gate: no token, or an API 401 (expired session) → /signin?next=<this page>. */
export function RequireAuth({ children }: { children: ReactNode }) {
  const token = useToken();
  const location = useLocation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  useEffect(
    () =>
      onUnauthorized(() => {
        queryClient.clear();
        navigate(signinPath(window.location), { replace: true });
      }),
    [navigate, queryClient],
  );
  // With a Supabase session stored, its client refreshes an expired token before the first API
  // call; without one (local mode) nothing waits.
  const [ready, setReady] = useState(() => !hasSupabaseSession());
  useEffect(() => {
    startSupabase()
      .then(async (c) => {
        if (c) await c.auth.getSession();
      })
      .catch(() => undefined)
      .finally(() => setReady(true));
  }, []);
  if (!ready) return <Loading />;
  if (!token) return <Navigate to={signinPath(location)} replace />;
  return <>{children}</>;
}
