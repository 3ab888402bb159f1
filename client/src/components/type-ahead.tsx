/**
 * A search as one types: `search` runs after a pause in typing (150 ms) with the previous
 * one aborted, and not at all while the text is blank. `results` is undefined before the
 * first answer, while blank and after a failure (a list that answered another text does not
 * stay under the error); `searching` is true from the keystroke until the answer; `error` is
 * the last failure, in words.
 *
 * TypeAheadStatus says which of those it is ("Searching…", "3 matches.", "No match."), in a
 * polite live region that is on the page before its first words, so the first count is read
 * out too (a region inserted together with its text is not announced by every screen reader).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { describeError } from '../lib/api.js';

export interface TypeAhead<T> {
  results: T[] | undefined;
  searching: boolean;
  error: string | undefined;
}

export function useTypeAhead<T>(q: string, search: (q: string, signal: AbortSignal) => Promise<T[]>): TypeAhead<T> {
  const [results, setResults] = useState<T[]>();
  const [error, setError] = useState<string>();
  const [searching, setSearching] = useState(false);
  const searchRef = useRef(search);
  searchRef.current = search;
  useEffect(() => {
    if (q.trim() === '') {
      setResults(undefined);
      setError(undefined);
      setSearching(false);
      return;
    }
    const ctl = new AbortController();
    setSearching(true);
    const t = setTimeout(() => {
      searchRef.current(q, ctl.signal).then(
        (r) => {
          if (ctl.signal.aborted) return;
          setResults(r);
          setError(undefined);
          setSearching(false);
        },
        (err) => {
          if (ctl.signal.aborted) return;
          setResults(undefined);
          setError(describeError(err));
          setSearching(false);
        },
      );
    }, 150);
    return () => (clearTimeout(t), ctl.abort());
  }, [q]);
  return { results, searching, error };
}

/** The search's state in words, for everyone: `id` lets the search box name it in aria-describedby. */
export function TypeAheadStatus<T>({ id, search, nothing = 'No match.' }: { id?: string; search: TypeAhead<T>; nothing?: string }) {
  const { results, searching } = search;
  return (
    <p id={id} class="hint" aria-live="polite">
      {searching ? 'Searching…' : results === undefined ? '' : results.length === 0 ? nothing : `${results.length} match${results.length === 1 ? '' : 'es'}.`}
    </p>
  );
}
