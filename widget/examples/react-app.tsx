// The React snippet from docs/widget.md, built by `npm run build` into dist/examples/ and loaded by
// the browser tests (tests/widget/test_browser_client.py) so the documented snippet is proven.
import { createRoot } from "react-dom/client";

import { BugPortWidget } from "../src/react";

const cfg = document.getElementById("bugport-config")!.dataset;

function App() {
  const user = { id: "u_42", name: "Grace Hopper", email: "grace@example.com" };
  return (
    <>
      <h1>React shop</h1>
      <BugPortWidget
        publicKey={cfg.publicKey!}
        apiBaseUrl={cfg.apiBaseUrl}
        reporter={user}
        metadata={{ plan: "pro", framework: "react" }}
        theme={{ accentColor: "#0f766e", position: "bottom-left" }}
      />
    </>
  );
}

createRoot(document.getElementById("root")!).render(<App />);
