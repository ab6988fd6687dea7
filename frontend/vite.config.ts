import { defineConfig } from "vite";
import preact from "@preact/preset-vite";

// The built files are embedded in the Go binary and served under a strict CSP
// (script-src 'self'; style-src 'self'), so nothing may be inlined into index.html.
export default defineConfig({
  base: "/",
  plugins: [preact()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // The polyfill is only for browsers without <link rel="modulepreload">; keep the output free of it.
    modulePreload: { polyfill: false },
    // Never turn small assets into inline data (CSS, scripts); images as data: URIs would be allowed,
    // but one rule for everything is simpler to reason about.
    assetsInlineLimit: 0,
  },
  server: {
    proxy: {
      "/api": "http://127.0.0.1:8080",
    },
  },
});
