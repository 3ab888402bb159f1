/**
 * Automatic logoff (HIPAA): after the clinic's idle time with no input from the person
 * the page signs out; one minute before, it warns with a "Stay signed in" button. Live
 * updates arriving on screen are not activity; keys, clicks, touches and scrolling are.
 * Activity also keeps the server's rolling session alive (a throttled GET /api/me), since
 * working within the page does not always make a request.
 */
import { signal, type Signal } from '@preact/signals';

const ACTIVITY = ['pointerdown', 'keydown', 'wheel', 'touchstart', 'mousemove'] as const;

export class IdleGuard {
  /** Seconds left before sign-out while the warning shows; undefined otherwise. */
  readonly warning: Signal<number | undefined> = signal(undefined);
  private last = Date.now();
  private lastPing = Date.now();
  private readonly timer: ReturnType<typeof setInterval>;
  private readonly onActivity = (e: Event) => {
    // While the warning shows, only the button (or a key/click) counts: a stray mouse move does not.
    if (this.warning.value !== undefined && e.type === 'mousemove') return;
    this.last = Date.now();
    if (Date.now() - this.lastPing > 60_000) {
      this.lastPing = Date.now();
      this.keepAlive();
    }
  };

  constructor(
    private readonly idleMs: number,
    private readonly keepAlive: () => void,
    private readonly signOut: () => void,
    warnMs = 60_000,
  ) {
    for (const e of ACTIVITY) window.addEventListener(e, this.onActivity, { passive: true, capture: true });
    this.timer = setInterval(() => {
      const left = this.idleMs - (Date.now() - this.last);
      if (left <= 0) {
        this.stop();
        this.signOut();
      } else if (left <= warnMs) {
        this.warning.value = Math.ceil(left / 1000);
      } else if (this.warning.value !== undefined) {
        this.warning.value = undefined;
      }
    }, 1000);
  }

  stay(): void {
    this.last = Date.now();
    this.lastPing = Date.now();
    this.warning.value = undefined;
    this.keepAlive();
  }

  stop(): void {
    clearInterval(this.timer);
    for (const e of ACTIVITY) window.removeEventListener(e, this.onActivity, { capture: true });
  }
}
