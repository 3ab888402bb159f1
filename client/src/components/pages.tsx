/**
 * A list read a page at a time, newest first, through the API's keyset cursor (`nextBefore`):
 * usePages loads the first page whenever `key` changes (or on reload), unless `skip` (then it
 * holds no list), and
 * `more` appends the next page. A page asked for under an earlier key is dropped when it lands.
 * LoadMore is the button that asks for the next page, with the reason the last ask failed.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { describeError } from '../lib/api.js';
import { useApp } from './context.js';
import { useFocusAfterRender } from './focus.js';
import { BusyButton } from './busy-button.js';

interface Page<T, C> {
  items: T[];
  nextBefore: C | null;
}

export function usePages<T, C>(read: (before: C | undefined, signal?: AbortSignal) => Promise<Page<T, C>>, key: string, skip = false) {
  /** Undefined while the first page loads. */
  const [items, setItems] = useState<T[]>();
  const [nextBefore, setNextBefore] = useState<C | null>(null);
  /** The first page's failure (shown with a retry). */
  const [error, setError] = useState<unknown>();
  /** The last `more`'s failure, in words. */
  const [moreError, setMoreError] = useState<string>();
  const [nonce, setNonce] = useState(0);
  /** A `more` in flight: a second click waits for it instead of asking for the same page twice. */
  const loading = useRef(false);
  /** Which key the list holds: bumped by every first-page load. */
  const generation = useRef(0);
  const readRef = useRef(read);
  readRef.current = read;

  useEffect(() => {
    generation.current++;
    // A cursor belongs to the key it was read under: forget it with the old list, also when the
    // new key is not to be read (the old list does not answer it either).
    setItems(undefined);
    setNextBefore(null);
    setError(undefined);
    setMoreError(undefined);
    loading.current = false;
    if (skip) return;
    const ctl = new AbortController();
    readRef.current(undefined, ctl.signal).then(
      (r) => {
        if (ctl.signal.aborted) return;
        setItems(r.items);
        setNextBefore(r.nextBefore);
      },
      (err) => !ctl.signal.aborted && setError(err),
    );
    return () => ctl.abort();
  }, [key, skip, nonce]);

  /** Appends the next page: how many items it added and whether it was the last, or undefined when nothing was appended (none to ask for, already asking, failed, or the key changed). */
  const more = async (): Promise<{ added: number; last: boolean } | undefined> => {
    if (nextBefore === null || items === undefined || loading.current) return undefined;
    loading.current = true;
    setMoreError(undefined);
    const asked = generation.current;
    try {
      const r = await readRef.current(nextBefore);
      if (asked !== generation.current) return undefined;
      setItems((list) => [...(list ?? []), ...r.items]);
      setNextBefore(r.nextBefore);
      return { added: r.items.length, last: r.nextBefore === null };
    } catch (err) {
      if (asked === generation.current) setMoreError(describeError(err));
      return undefined;
    } finally {
      if (asked === generation.current) loading.current = false;
    }
  };

  return { items, setItems, nextBefore, error, moreError, more, reload: () => setNonce((n) => n + 1), generation };
}

type Pages<T, C> = ReturnType<typeof usePages<T, C>>;

/**
 * The button that appends the next page, and why the last try failed; no button while the
 * first page loads or when there is no next page. While a page loads the button says so (and
 * stays focusable: a disabled button would drop the keyboard focus); what arrived is announced
 * ("12 older entries loaded."). When that was the last page the button goes, and the focus
 * moves to the note that says the list is complete.
 */
export function LoadMore<T, C>({ pages, label, noun }: { pages: Pages<T, C>; label: string; /** What the list holds, plural: "entries". */ noun: string }) {
  const { announce } = useApp();
  const [busy, setBusy] = useState(false);
  /** The list (by its generation) whose last page a click here loaded: it gets the end note. */
  const [endOf, setEndOf] = useState<number>();
  const end = useRef<HTMLParagraphElement>(null);
  const focusAfterRender = useFocusAfterRender();
  const click = async () => {
    setBusy(true);
    const got = await pages.more();
    setBusy(false);
    if (!got) return;
    announce(`${got.added} older ${noun} loaded.${got.last ? ` That is all of them: no older ${noun}.` : ''}`);
    if (got.last) {
      setEndOf(pages.generation.current);
      focusAfterRender(end);
    }
  };
  return (
    <>
      {pages.items !== undefined && pages.nextBefore !== null && (
        <div class="actions">
          <BusyButton type="button" class="secondary" busy={busy} onClick={() => void click()}>
            {label}
          </BusyButton>
          {busy && (
            <span class="hint" role="status">
              Loading older {noun}…
            </span>
          )}
        </div>
      )}
      {pages.items !== undefined && pages.nextBefore === null && endOf === pages.generation.current && (
        <p ref={end} tabIndex={-1} class="hint">
          No older {noun}.
        </p>
      )}
      {pages.moreError && <p class="error" role="alert">{pages.moreError}</p>}
    </>
  );
}
