import { useQuery } from "@tanstack/react-query";
import { useCallback, useEffect, useRef, useState } from "react";
import { useSearchParams } from "react-router";
import { api, call } from "../../api/client";
import { getToken } from "../../api/token";
import { ErrorNote, Loading } from "../../ui/states";
import { approve, approved, sendToExtension, validExtensionId } from "./extension";

/**
 * `/connect/extension?extension_id=…&nonce=…`, opened by the extension's "Connect" button. After
 * the user confirms (once per browser), the session goes to the extension by messaging; the nonce
 * ties the answer to the extension's own request.
 */
export function ConnectExtensionPage() {
  const [params] = useSearchParams();
  const extensionId = params.get("extension_id") ?? "";
  const nonce = params.get("nonce") ?? "";
  const valid = validExtensionId(extensionId) && /^[A-Za-z0-9-]{16,100}$/.test(nonce);
  const me = useQuery({ queryKey: ["me"], queryFn: () => call(api.GET("/v1/auth/me")) });
  const [state, setState] = useState<"idle" | "sending" | "done">("idle");
  const [error, setError] = useState<unknown>(null);
  const auto = useRef(false);

  const connect = useCallback(async () => {
    const token = getToken();
    if (!me.data || !token) return;
    setState("sending");
    setError(null);
    try {
      const who = { email: me.data.email, user_id: me.data.id };
      await sendToExtension(extensionId, { type: "bugport.connect", nonce, access_token: token, ...who });
      approve(extensionId);
      setState("done");
    } catch (e) {
      setError(e);
      setState("idle");
    }
  }, [extensionId, me.data, nonce]);

  useEffect(() => {
    // Approved before in this browser (a reconnect): no need to ask again.
    if (valid && me.data && !auto.current && approved().includes(extensionId)) {
      auto.current = true;
      void connect();
    }
  }, [connect, extensionId, me.data, valid]);

  return (
    <main className="signin">
      <div className="signin-card">
      <h1>Connect the browser extension</h1>
      {!valid && <ErrorNote error={new Error("This link is incomplete: start from the extension's settings (Connect to BugPort).")} />}
      {valid && me.isPending && <Loading />}
      {me.isError && <ErrorNote error={me.error} onRetry={() => me.refetch()} />}
      {valid && me.data && state !== "done" && (
        <>
          <p>
            The BugPort extension <code>{extensionId}</code> asks to file bugs as <strong>{me.data.email ?? me.data.name ?? "you"}</strong>. It
            gets your session for this server; sign out in the extension's settings to end it.
          </p>
          <div className="row">
            <button type="button" className="btn btn-primary" onClick={() => void connect()} disabled={state === "sending"}>
              Connect
            </button>
          </div>
        </>
      )}
      {state === "sending" && <Loading label="Connecting…" />}
      {error != null && <ErrorNote error={error} />}
      {state === "done" && (
        <p role="status">
          Connected. The extension files bugs as <strong>{me.data?.email ?? "you"}</strong>; you can close this tab.
        </p>
      )}
      </div>
    </main>
  );
}
