import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, call, type Bug } from "../../api/client";
import { isApiError } from "../../api/errors";
import { ErrorNote } from "../../ui/states";

const PROVIDER: Record<string, string> = { github: "GitHub", linear: "Linear", jira: "Jira" };

/** "Push to <tracker>" when the bug's project has a tracker target (connector routes). */
export function TrackerPanel({ bug }: { bug: Bug }) {
  const qc = useQueryClient();
  const target = useQuery({
    queryKey: ["tracker-target", bug.project_id],
    staleTime: 60_000,
    retry: false,
    queryFn: async () => {
      try {
        return await call(api.GET("/v1/projects/{project_id}/tracker-target", { params: { path: { project_id: bug.project_id } } }));
      } catch (e) {
        // No target (404) or not allowed to see it (403): nothing to push to.
        if (isApiError(e) && (e.status === 404 || e.status === 403)) return null;
        throw e;
      }
    },
  });
  const pushes = useQuery({
    queryKey: ["pushes", bug.id],
    enabled: !!target.data,
    refetchInterval: (q) => (q.state.data?.some((p) => p.status === "pending" || p.status === "running") ? 2000 : false),
    queryFn: () => call(api.GET("/v1/bugs/{bug_id}/pushes", { params: { path: { bug_id: bug.id } } })),
  });
  const push = useMutation({
    mutationFn: () => call(api.POST("/v1/bugs/{bug_id}/push", { params: { path: { bug_id: bug.id } }, body: {} })),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ["pushes", bug.id] });
      void qc.invalidateQueries({ queryKey: ["bug", bug.id] });
      void qc.invalidateQueries({ queryKey: ["activity", bug.id] });
    },
  });
  if (!target.data) return target.isError ? <ErrorNote error={target.error} /> : null;
  const name = PROVIDER[target.data.provider] ?? target.data.provider;
  const last = pushes.data?.[0];
  return (
    <section className="panel" aria-label="Tracker">
      <h2>Tracker</h2>
      {last?.external_url ? (
        <p>
          Pushed:{" "}
          <a href={last.external_url} target="_blank" rel="noopener noreferrer">
            {last.external_key ?? last.external_url}
          </a>
        </p>
      ) : (
        <button type="button" className="btn btn-small" onClick={() => push.mutate()} disabled={push.isPending}>
          Push to {name}
        </button>
      )}
      {last && !last.external_url && (
        <p className="muted">
          {last.status}
          {last.last_error ? `: ${last.last_error}` : ""}
        </p>
      )}
      {push.isError && <ErrorNote error={push.error} />}
    </section>
  );
}
