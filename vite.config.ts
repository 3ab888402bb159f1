/**
 * The dashboard build (preact + signals, TSX): client/ → dist/client, which the service serves at `/`.
 * `npx vite` serves the dashboard with hot reload and proxies the API and live push
 * to a running `npm start` (same origin, so the session cookie and CSRF check work).
 */
import { defineConfig } from 'vite';

const api = `http://127.0.0.1:${process.env.PORT ?? 3000}`;

export default defineConfig({
  root: 'client',
  // Preact's automatic JSX runtime: TSX compiles to preact/jsx-runtime calls (no React, no plugin).
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: { outDir: '../dist/client', emptyOutDir: true },
  server: {
    host: '127.0.0.1',
    proxy: {
      '/api': { target: api, changeOrigin: false },
      '/socket.io': { target: api, ws: true, changeOrigin: false },
    },
  },
});
