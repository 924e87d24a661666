import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// `npm run dev`: Vite on 127.0.0.1:5173 proxies the API (`./dev serve` on 127.0.0.1:8000), so
// the app calls /v1 on its own origin exactly as when `bugport serve` serves the build.
declare const process: { env: Record<string, string | undefined> };
const API = process.env.BUGPORT_API ?? "http://127.0.0.1:8000";

export default defineConfig({
  plugins: [react()],
  server: {
    host: "127.0.0.1",
    port: 5173,
    proxy: { "/v1": API, "/storage": API },
  },
  build: {
    outDir: "dist",
    assetsDir: "assets",
    // Everything from files: no inline script (the CSP has no 'unsafe-inline').
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
  },
});
