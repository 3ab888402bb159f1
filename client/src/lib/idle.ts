/**
 * Automatic logoff (HIPAA): after the clinic's idle time with no input from the person
 * the page signs out; one minute before, it warns with a "Stay signed in" button. Live
 * updates arriving on screen are not activity; keys, clicks, touches and scrolling are.
 *
 * The page and the server count down together. Working within the page does not always make
 * a request, so while there has been input since the last keep-alive the guard sends one
 * (GET /api/me marked as activity, which the server writes exactly) at least every
 * `min(60 s, idle / 4)`; it sends one when it starts and when the person chooses to stay.
 * Every input is therefore followed by a keep-alive no later than that, well before the
 * page's own deadline, so the server's deadline is at or after the page's by the time the
 * page could warn. A keep-alive that fails is sent again 5 s later until one succeeds.
 * (The other way round, a page that vanishes leaves its session at most
 * `idle + min(60 s, idle/4)` after the last input.)
 */
import { signal, type Signal } from '@preact/signals';

const ACTIVITY = ['pointerdown', 'keydown', 'wheel', 'touchstart', 'mousemove'] as const;

export class IdleGuard {
  /** Seconds left before sign-out while the warning shows; undefined otherwise. */
  readonly warning: Signal<number | undefined> = signal(undefined);
  /** The last input from the person. */
  private last = Date.now();
  /** When the last keep-alive was sent. */
  private lastPing = Date.now();
  /** When the last keep-alive failed, until one succeeds. */
  private failedAt: number | undefined;
  private readonly pingEveryMs: number;
  private readonly timer: ReturnType<typeof setInterval>;
  private readonly onActivity = (e: Event) => {
    // While the warning shows, only the button (or a key/click) counts: a stray mouse move does not.
    if (this.warning.value !== undefined && e.type === 'mousemove') return;
    this.last = Date.now();
  };

  constructor(
    private readonly idleMs: number,
    private readonly keepAlive: () => Promise<unknown>,
    private readonly signOut: () => void,
    private readonly warnMs = 60_000,
  ) {
    this.pingEveryMs = Math.min(60_000, Math.floor(idleMs / 4));
    for (const e of ACTIVITY) window.addEventListener(e, this.onActivity, { passive: true, capture: true });
    this.timer = setInterval(() => this.tick(), 1000);
    this.ping();
  }

  private ping(): void {
    const sent = (this.lastPing = Date.now());
    this.failedAt = undefined;
    // A 401 signs out through the API client (and stops this guard); any other failure is
    // retried from tick(), or the server's deadline would stay where the last success left it.
    this.keepAlive().catch(() => {
      if (this.lastPing === sent) this.failedAt = Date.now();
    });
  }

  private tick(): void {
    const now = Date.now();
    const due = this.last > this.lastPing && now - this.lastPing >= this.pingEveryMs;
    const retry = this.failedAt !== undefined && now - this.failedAt >= 5000;
    if (due || retry) this.ping();
    const left = this.idleMs - (now - this.last);
    if (left <= 0) {
      this.stop();
      this.signOut();
    } else if (left <= this.warnMs) {
      this.warning.value = Math.ceil(left / 1000);
    } else if (this.warning.value !== undefined) {
      this.warning.value = undefined;
    }
  }

  stay(): void {
    this.last = Date.now();
    this.warning.value = undefined;
    this.ping();
  }

  stop(): void {
    clearInterval(this.timer);
    for (const e of ACTIVITY) window.removeEventListener(e, this.onActivity, { capture: true });
  }
}
