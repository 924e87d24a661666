// `npm run build`: the unpacked extension in dist/unpacked/ and the same files zipped as
// dist/bugport-extension.zip (load the folder with "Load unpacked", or hand out the zip).
// BUGPORT_CONNECT_ORIGINS (comma-separated match patterns, e.g. "https://bugs.example.com/*")
// adds self-hosted dashboards that may hand the extension a session (externally_connectable).
import { build } from "esbuild";
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { zipSync } from "fflate";

const out = "dist/unpacked";
rmSync("dist", { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const pkg = JSON.parse(readFileSync("package.json", "utf8"));
const common = { bundle: true, target: "chrome116", format: "iife", legalComments: "none", logLevel: "warning", minify: false };
await build({
  ...common,
  entryPoints: {
    background: "src/background.ts",
    "page-capture": "src/page/capture.ts",
    capture: "src/ui/capture.ts",
    options: "src/ui/options.ts",
    offscreen: "src/ui/offscreen.ts",
  },
  outdir: out,
});

cpSync("static", out, { recursive: true });
const manifest = JSON.parse(readFileSync("static/manifest.json", "utf8"));
manifest.version = pkg.version;
const extra = (process.env.BUGPORT_CONNECT_ORIGINS || "").split(",").map((s) => s.trim()).filter(Boolean);
manifest.externally_connectable.matches.push(...extra);
writeFileSync(join(out, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");

// A reproducible zip: sorted entries, fixed timestamps.
const files = {};
const walk = (dir) => {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else files[relative(out, p)] = [readFileSync(p), { mtime: new Date("2026-01-01T00:00:00Z") }];
  }
};
walk(out);
writeFileSync("dist/bugport-extension.zip", zipSync(files, { level: 9 }));
console.log(`built dist/unpacked/ and dist/bugport-extension.zip (${Object.keys(files).length} files, v${pkg.version})`);
