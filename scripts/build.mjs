/* global process, console */
/**
 * `npm run build`: the dashboard (client/ → dist/client) and the server
 * (server/main.ts → dist/server/main.js, one ES module, dependencies left in
 * node_modules), both with Vite, then a stamp that `npm start` compares with the
 * sources' modification times (scripts/start.mjs).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const STAMP = path.join(ROOT, 'dist', '.build-stamp');

export async function buildAll() {
  const started = Date.now();
  await build({ configFile: path.join(ROOT, 'vite.config.ts'), logLevel: 'warn' });
  await build({
    configFile: false,
    root: ROOT,
    logLevel: 'warn',
    build: {
      ssr: path.join(ROOT, 'server', 'main.ts'),
      outDir: path.join(ROOT, 'dist', 'server'),
      emptyOutDir: true,
      target: 'node20',
      minify: false,
      sourcemap: true,
      rollupOptions: { output: { format: 'esm', entryFileNames: 'main.js' } },
    },
  });
  writeFileSync(STAMP, `${new Date().toISOString()}\n`);
  return Date.now() - started;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const ms = await buildAll();
  console.log(`Built the dashboard (dist/client) and the server (dist/server) in ${(ms / 1000).toFixed(1)} s.`);
}
