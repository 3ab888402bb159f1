/**
 * Where a start's time goes: each step's wall time since the process began, logged once
 * at debug level when the service is running (`LOG_LEVEL=debug npm start`; the start
 * bench, bench/sections/80-start.ts, reads it for its per-step breakdown).
 * `performance.now()` counts from the process's start, so the first step includes
 * Node's own start-up and loading the compiled modules.
 */
export class StartSteps {
  private last = 0;
  readonly steps: Record<string, number> = {};

  /** Records the step that just ended (ms since the previous mark). */
  mark(step: string): void {
    const now = performance.now();
    this.steps[step] = Math.round(now - this.last);
    this.last = now;
  }

  get totalMs(): number {
    return Math.round(this.last);
  }
}
