/**
 * The day a screen shows, kept in the address (`?date=YYYY-MM-DD`): a reload, a bookmark and
 * signing in again after the session ended (lib/session.ts keeps the address) come back to it.
 */
import { useEffect, useState } from 'preact/hooks';

function urlDate(): string | undefined {
  const d = new URLSearchParams(location.search).get('date');
  return d && /^\d{4}-\d{2}-\d{2}$/.test(d) ? d : undefined;
}

/** The address's date, else `fallback` (the clinic's today); setting it rewrites the address in place. */
export function useDateInUrl(fallback: string): [string, (d: string | ((d: string) => string)) => void] {
  const [date, setDate] = useState(() => urlDate() ?? fallback);
  useEffect(() => {
    const u = new URL(location.href);
    u.searchParams.set('date', date);
    history.replaceState(null, '', u);
  }, [date]);
  return [date, setDate];
}
