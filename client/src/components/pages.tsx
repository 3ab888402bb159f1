/**
 * A list read a page at a time, newest first, through the API's keyset cursor (`nextBefore`):
 * usePages loads the first page whenever `key` changes (or on reload), unless `skip` (then it
 * holds no list), and
 * `more` appends the next page. A page asked for under an earlier key is dropped when it lands.
 * LoadMore is the button that asks for the next page, with the reason the last ask failed.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { describeError } from '../lib/api.js';

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

type Pages<T, C> = ReturnType<typeof usePages<T, C>>;

/**
 * The button that appends the next page, and why the last try failed; no button while the
 * first page loads or when there is no next page.
 */
export function LoadMore<T, C>({ pages, label }: { pages: Pages<T, C>; label: string }) {
  return (
    <>
      {pages.items !== undefined && pages.nextBefore !== null && (
        <div class="actions">
          <button type="button" class="secondary" onClick={() => void pages.more()}>
            {label}
          </button>
        </div>
      )}
      {pages.moreError && <p class="error" role="alert">{pages.moreError}</p>}
    </>
  );
}
