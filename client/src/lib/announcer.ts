/**
 * What the page's two aria-live regions say: live changes and arrivals politely, failures
 * assertively. Each region has its own timer: a polite message right after an assertive
 * one (a failed Undo, then a live change) must not swallow the assertive one. A repeated
 * message is still announced: the region is cleared first and filled 50 ms later.
 */
import { signal, type Signal } from '@preact/signals';

export type Politeness = 'polite' | 'assertive';

export class Announcer {
  readonly polite: Signal<string> = signal('');
  readonly assertive: Signal<string> = signal('');
  private readonly timers: Record<Politeness, ReturnType<typeof setTimeout> | undefined> = { polite: undefined, assertive: undefined };

  readonly announce = (message: string, politeness: Politeness = 'polite'): void => {
    const region = this[politeness];
    region.value = '';
    clearTimeout(this.timers[politeness]);
    this.timers[politeness] = setTimeout(() => (region.value = message), 50);
  };

  stop(): void {
    clearTimeout(this.timers.polite);
    clearTimeout(this.timers.assertive);
  }
}
