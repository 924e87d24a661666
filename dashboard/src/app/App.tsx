import { QueryCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { lazy, Suspense } from "react";
import { createBrowserRouter, Navigate, RouterProvider } from "react-router";
import { isApiError } from "../api/errors";
import { ConnectExtensionPage } from "../features/connect/ConnectExtensionPage";
import { InboxPage } from "../features/inbox/InboxPage";
import { SignInPage } from "../features/signin/SignInPage";
import { Loading, NotFoundPage } from "../ui/states";
import { loadBugPage, loadSharePage } from "./lazy";
import { RequireAuth } from "./RequireAuth";
import { Shell } from "./Shell";

// The detail page and the public share page load on demand: the inbox's first load stays small.
const BugPage = lazy(loadBugPage);
const SharePage = lazy(loadSharePage);
const settings = () => import("../features/settings");
type SettingsModule = Awaited<ReturnType<typeof settings>>;
function adminPage<K extends keyof SettingsModule>(name: K) {
  const Page = lazy(async () => ({ default: (await settings())[name] as React.ComponentType }));
  return (
    <Suspense fallback={<Loading />}>
      <Page />
    </Suspense>
  );
}

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // Client errors (404, 403, 422…) are answers, not glitches: retry only the rest.
      retry: (count, error) => count < 2 && !(isApiError(error) && error.status >= 400 && error.status < 500),
      refetchOnWindowFocus: false,
    },
  },
  queryCache: new QueryCache(),
});

const router = createBrowserRouter([
  { path: "/signin", element: <SignInPage /> },
  {
    path: "/s/:shareId",
    element: (
      <Suspense fallback={<Loading />}>
        <SharePage />
      </Suspense>
    ),
  },
  { path: "/invite", element: adminPage("InvitePage") },
  {
    element: (
      <RequireAuth>
        <Shell />
      </RequireAuth>
    ),
    children: [
      { index: true, element: <InboxPage /> },
      {
        path: "bugs/:bugId",
        element: (
          <Suspense fallback={<Loading />}>
            <BugPage />
          </Suspense>
        ),
      },
      {
        path: "settings",
        element: adminPage("SettingsLayout"),
        children: [
          { index: true, element: <Navigate to="members" replace /> },
          { path: "workspace", element: adminPage("WorkspacePage") },
          { path: "profile", element: adminPage("ProfilePage") },
          { path: "members", element: adminPage("MembersPage") },
          { path: "projects", element: adminPage("ProjectsPage") },
          { path: "mcp-tokens", element: adminPage("TokensPage") },
          { path: "audit-log", element: adminPage("AuditPage") },
          { path: "billing", element: adminPage("BillingPage") },
          { path: "integrations", element: adminPage("IntegrationsPage") },
          { path: "*", element: <NotFoundPage /> },
        ],
      },
      { path: "profile", element: <Navigate to="/settings/profile" replace /> },
      { path: "connect/extension", element: <ConnectExtensionPage /> },
      // The OAuth redirect_uri the API hands providers (Settings.connector_redirect_uri).
      { path: "integrations/:provider/callback", element: adminPage("OAuthCallbackPage") },
      { path: "*", element: <NotFoundPage /> },
    ],
  },
]);

export function App() {
  return (
    <QueryClientProvider client={queryClient}>
      <RouterProvider router={router} />
    </QueryClientProvider>
  );
}
