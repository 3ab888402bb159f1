/**
 * What the page's two aria-live regions say: live changes and arrivals politely, failures
 * assertively. Each region has its own timer: a polite message right after an assertive
 * one (a failed Undo, then a live change) must not swallow the assertive one. A repeated
 * message is still announced: the region is cleared first and filled 50 ms later; messages that
 * arrive within those 50 ms are said together, in order (a burst of live changes loses none;
 * beyond MAX_TOGETHER, the earliest are counted), except that a message of a `kind` replaces an
 * unsaid one of the same kind.
 */
import { signal, type Signal } from '@preact/signals';

export type Politeness = 'polite' | 'assertive';

/** Messages said in full at once; a longer burst starts with how many came before them. */
export const MAX_TOGETHER = 5;

function together(messages: string[]): string {
  if (messages.length <= MAX_TOGETHER) return messages.join(' ');
  // The latest are said: in a burst of key presses, the last one is where things stand.
  const earlier = messages.length - MAX_TOGETHER;
  return `${earlier} earlier message${earlier === 1 ? '' : 's'} not read. ${messages.slice(-MAX_TOGETHER).join(' ')}`;
}

export class Announcer {
  readonly polite: Signal<string> = signal('');
  readonly assertive: Signal<string> = signal('');
  private readonly timers: Record<Politeness, ReturnType<typeof setTimeout> | undefined> = { polite: undefined, assertive: undefined };
  /** What a region is about to say: a message that arrives before it is said joins it, instead of replacing it. */
  private readonly pending: Record<Politeness, { message: string; kind?: string }[]> = { polite: [], assertive: [] };

  /**
   * `kind` names a message that a newer one of the same kind makes stale (a keyboard move's
   * preview: only where the block is now matters): it replaces that one if it has not been said.
   */
  readonly announce = (message: string, politeness: Politeness = 'polite', kind?: string): void => {
    const region = this[politeness];
    const pending = this.pending[politeness];
    if (kind !== undefined) {
      const stale = pending.findIndex((p) => p.kind === kind);
      if (stale >= 0) pending.splice(stale, 1);
    }
    pending.push({ message, kind });
    region.value = '';
    clearTimeout(this.timers[politeness]);
    this.timers[politeness] = setTimeout(() => (region.value = together(pending.splice(0).map((p) => p.message))), 50);
  };

  stop(): void {
    clearTimeout(this.timers.polite);
    clearTimeout(this.timers.assertive);
  }
}
