/**
 * How a command-line entry point ends: with the code `main` resolves to; on a failure the
 * operator can act on (a known error class) with its message alone, on any other with the
 * message after what failed. Exit code 1 either way.
 */
type ErrorClass = abstract new (...args: never[]) => Error;

export function runCli(main: () => Promise<number>, opts: { known: readonly ErrorClass[]; failed: string }): void {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      const known = opts.known.some((k) => err instanceof k);
      console.error(known ? (err as Error).message : `${opts.failed}: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}
