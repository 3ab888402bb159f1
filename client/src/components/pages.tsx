/**
 * A list read a page at a time, newest first, through the API's keyset cursor (`nextBefore`):
 * usePages loads the first page whenever `key` changes (or on reload), unless `skip`, and
 * `more` appends the next page. A page asked for under an earlier key is dropped when it lands.
 * LoadMore is the button that asks for the next page.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { describeError } from '../lib/api.js';

export interface Page<T, C> {
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
    if (skip) return;
    generation.current++;
    const ctl = new AbortController();
    // A cursor belongs to the key it was read under: forget it with the old list.
    setItems(undefined);
    setNextBefore(null);
    setError(undefined);
    setMoreError(undefined);
    loading.current = false;
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

  const more = async () => {
    if (nextBefore === null || items === undefined || loading.current) return;
    loading.current = true;
    setMoreError(undefined);
    const asked = generation.current;
    try {
      const r = await readRef.current(nextBefore);
      if (asked !== generation.current) return;
      setItems((list) => [...(list ?? []), ...r.items]);
      setNextBefore(r.nextBefore);
    } catch (err) {
      if (asked === generation.current) setMoreError(describeError(err));
    } finally {
      if (asked === generation.current) loading.current = false;
    }
  };

  return { items, setItems, nextBefore, error, moreError, more, reload: () => setNonce((n) => n + 1), generation };
}

export type Pages<T, C> = ReturnType<typeof usePages<T, C>>;

/** The button that appends the next page (`pages.moreError` says why it failed); none while the first page loads or when there is no next page. */
export function LoadMore<T, C>({ pages, label }: { pages: Pages<T, C>; label: string }) {
  if (pages.items === undefined || pages.nextBefore === null) return null;
  return (
    <button type="button" class="secondary" onClick={() => void pages.more()}>
      {label}
    </button>
  );
}
