/** The page's aria-live regions (what they say: lib/announcer.ts). Only the regions re-render on a message. */
import { useEffect, useMemo } from 'preact/hooks';
import { Announcer } from '../lib/announcer.js';

function Regions({ announcer }: { announcer: Announcer }) {
  return (
    <div class="visually-hidden">
      <div aria-live="polite" aria-atomic="true" data-testid="announcer">
        {announcer.polite.value}
      </div>
      <div aria-live="assertive" aria-atomic="true">
        {announcer.assertive.value}
      </div>
    </div>
  );
}

export function useAnnouncer() {
  const announcer = useMemo(() => new Announcer(), []);
  useEffect(() => () => announcer.stop(), [announcer]);
  return { announce: announcer.announce, regions: <Regions announcer={announcer} /> };
}
