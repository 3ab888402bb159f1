/**
 * What the page's two aria-live regions say: live changes and arrivals politely, failures
 * assertively. Each region has its own timer: a polite message right after an assertive
 * one (a failed Undo, then a live change) must not swallow the assertive one. A repeated
 * message is still announced: the region is cleared first and filled 50 ms later; messages that
 * arrive within those 50 ms are said together, in order (a burst of live changes loses none;
 * beyond MAX_TOGETHER, the rest are counted).
 */
import { signal, type Signal } from '@preact/signals';

export type Politeness = 'polite' | 'assertive';

/** Messages said in full at once; a longer burst ends with how many more there were. */
export const MAX_TOGETHER = 3;

function together(messages: string[]): string {
  if (messages.length <= MAX_TOGETHER) return messages.join(' ');
  const more = messages.length - MAX_TOGETHER;
  return `${messages.slice(0, MAX_TOGETHER).join(' ')} And ${more} more change${more === 1 ? '' : 's'}.`;
}

export class Announcer {
  readonly polite: Signal<string> = signal('');
  readonly assertive: Signal<string> = signal('');
  private readonly timers: Record<Politeness, ReturnType<typeof setTimeout> | undefined> = { polite: undefined, assertive: undefined };
  /** What a region is about to say: a message that arrives before it is said joins it, instead of replacing it. */
  private readonly pending: Record<Politeness, string[]> = { polite: [], assertive: [] };

  readonly announce = (message: string, politeness: Politeness = 'polite'): void => {
    const region = this[politeness];
    const pending = this.pending[politeness];
    pending.push(message);
    region.value = '';
    clearTimeout(this.timers[politeness]);
    this.timers[politeness] = setTimeout(() => (region.value = together(pending.splice(0))), 50);
  };

  stop(): void {
    clearTimeout(this.timers.polite);
    clearTimeout(this.timers.assertive);
  }
}
