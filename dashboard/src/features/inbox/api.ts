import { useInfiniteQuery, useMutation, useQueryClient } from "@tanstack/react-query";
import { api, call, type Schemas } from "../../api/client";
import type { BugListQuery } from "./filters";

export function useBugList(query: BugListQuery, enabled: boolean) {
  return useInfiniteQuery({
    queryKey: ["bugs", "list", query],
    enabled,
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam, signal }) =>
      call(api.GET("/v1/bugs", { params: { query: { ...query, cursor: pageParam } }, signal })),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
}

export function useBulkUpdate() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: Schemas["BulkUpdate"]) => call(api.PATCH("/v1/bugs", { body })),
    onSuccess: (result) => {
      for (const bug of result.data) qc.setQueryData(["bug", bug.id], bug);
      void qc.invalidateQueries({ queryKey: ["bugs"] });
      for (const bug of result.data) void qc.invalidateQueries({ queryKey: ["activity", bug.id] });
    },
  });
}
