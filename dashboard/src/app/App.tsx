import { QueryCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { lazy, Suspense } from "react";
import { createBrowserRouter, RouterProvider } from "react-router";
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
      { path: "connect/extension", element: <ConnectExtensionPage /> },
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
