/**
 * A search as one types: `search` runs after a pause in typing (150 ms) with the previous
 * one aborted, and not at all while the text is blank. `results` is undefined before the
 * first answer and while blank; `error` is the last failure, in words.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { describeError } from '../lib/api.js';

export function useTypeAhead<T>(q: string, search: (q: string, signal: AbortSignal) => Promise<T[]>): { results: T[] | undefined; error: string | undefined } {
  const [results, setResults] = useState<T[]>();
  const [error, setError] = useState<string>();
  const searchRef = useRef(search);
  searchRef.current = search;
  useEffect(() => {
    if (q.trim() === '') {
      setResults(undefined);
      setError(undefined);
      return;
    }
    const ctl = new AbortController();
    const t = setTimeout(() => {
      searchRef.current(q, ctl.signal).then(
        (r) => {
          if (ctl.signal.aborted) return;
          setResults(r);
          setError(undefined);
        },
        (err) => !ctl.signal.aborted && setError(describeError(err)),
      );
    }, 150);
    return () => (clearTimeout(t), ctl.abort());
  }, [q]);
  return { results, error };
}
