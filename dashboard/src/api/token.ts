// The signed-in user's bearer token, kept in localStorage so a reload stays signed in.
const KEY = "bugport.token";
const listeners = new Set<() => void>();

export function getToken(): string | null {
  try {
    return localStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function setToken(token: string | null): void {
  try {
    if (token) localStorage.setItem(KEY, token);
    else localStorage.removeItem(KEY);
  } catch {
    // storage disabled: the session lasts as long as the page
  }
  listeners.forEach((fn) => fn());
}

export function onTokenChange(fn: () => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Extra work on sign-out (Supabase ends its session); set by the Supabase module when loaded. */
let signOutHook: (() => Promise<void>) | null = null;

export function setSignOutHook(fn: (() => Promise<void>) | null): void {
  signOutHook = fn;
}

export async function signOut(): Promise<void> {
  try {
    await signOutHook?.();
  } finally {
    setToken(null);
  }
}
