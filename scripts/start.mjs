/* global console */
/**
 * `npm start`: run the compiled service (dist/server/main.js), building it first only
 * when the build is missing or older than any source it is made from. No TypeScript
 * loader at run time: a start on existing data is the database start plus a few
 * hundred milliseconds.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

// The same places as build.mjs's ROOT and STAMP, without importing it: build.mjs loads
// Vite, a second of module loading that a start with a current build does not need.
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const STAMP = path.join(ROOT, 'dist', '.build-stamp');

const SOURCES = ['server', 'shared', 'migrations', 'seeds', 'client', 'package.json', 'package-lock.json', 'vite.config.ts', 'scripts/build.mjs'];

/** The newest modification time under `p` (ms). */
function newest(p) {
  const st = statSync(p, { throwIfNoEntry: false });
  if (!st) return 0;
  if (!st.isDirectory()) return st.mtimeMs;
  let max = st.mtimeMs;
  for (const entry of readdirSync(p)) max = Math.max(max, newest(path.join(p, entry)));
  return max;
}

const main = path.join(ROOT, 'dist', 'server', 'main.js');
const built = existsSync(main) && existsSync(STAMP) ? statSync(STAMP).mtimeMs : 0;
const changed = Math.max(...SOURCES.map((s) => newest(path.join(ROOT, s))));
if (built < changed) {
  console.log(built ? 'Sources changed since the last build: building...' : 'No build yet: building the dashboard and the server (once)...');
  const { buildAll } = await import('./build.mjs');
  const ms = await buildAll();
  console.log(`Built in ${(ms / 1000).toFixed(1)} s.`);
}
await import(pathToFileURL(main).href);
