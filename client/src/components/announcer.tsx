/**
 * The page's aria-live regions: live changes and arrivals are announced politely, failures
 * assertively. A repeated message is still announced (the region is cleared first).
 */
import { useCallback, useRef, useState } from 'preact/hooks';

export function useAnnouncer() {
  const [polite, setPolite] = useState('');
  const [assertive, setAssertive] = useState('');
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  const announce = useCallback((message: string, politeness: 'polite' | 'assertive' = 'polite') => {
    const set = politeness === 'polite' ? setPolite : setAssertive;
    set('');
    clearTimeout(timer.current);
    timer.current = setTimeout(() => set(message), 50);
  }, []);
  const regions = (
    <div class="visually-hidden">
      <div aria-live="polite" aria-atomic="true" data-testid="announcer">
        {polite}
      </div>
      <div aria-live="assertive" aria-atomic="true">
        {assertive}
      </div>
    </div>
  );
  return { announce, regions };
}
