// Three outputs: ESM core and React binding for bundlers, and an IIFE for the <script> tag.
import { build } from "esbuild";

const common = { bundle: true, target: "es2019", sourcemap: false, legalComments: "eof", logLevel: "info" };

await build({ ...common, entryPoints: ["src/index.ts"], outfile: "dist/index.js", format: "esm" });
await build({
  ...common,
  entryPoints: ["src/react.ts"],
  outfile: "dist/react.js",
  format: "esm",
  external: ["react"],
  // The React binding shares the core module instead of carrying a second copy of it.
  plugins: [
    {
      name: "core-external",
      setup(b) {
        b.onResolve({ filter: /^\.\/index$/ }, () => ({ path: "./index.js", external: true }));
      },
    },
  ],
});
await build({
  ...common,
  entryPoints: ["src/auto.ts"],
  outfile: "dist/bugport-widget.js",
  format: "iife",
  minify: true,
});

// Not published: the docs' React snippet as a page bundle, for the browser tests.
await build({
  ...common,
  entryPoints: ["examples/react-app.tsx"],
  outfile: "dist/examples/react-app.js",
  format: "iife",
  jsx: "automatic",
  minify: true,
  define: { "process.env.NODE_ENV": '"production"' },
});
