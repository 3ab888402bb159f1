/**
 * The dashboard build: client/ → dist/client, which the service serves at `/`.
 * `npx vite` serves the dashboard with hot reload and proxies the API and live push
 * to a running `npm start` (same origin, so the session cookie and CSRF check work).
 */
import { defineConfig } from 'vite';

const api = `http://127.0.0.1:${process.env.PORT ?? 3000}`;

export default defineConfig({
  root: 'client',
  build: { outDir: '../dist/client', emptyOutDir: true },
  server: {
    host: '127.0.0.1',
    proxy: {
      '/api': { target: api, changeOrigin: false },
      '/socket.io': { target: api, ws: true, changeOrigin: false },
    },
  },
});
