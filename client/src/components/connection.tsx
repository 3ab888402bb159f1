/** The connection state in plain words: "Live", "Reconnecting…", "Offline — showing data as of 10:42". */
import type { LiveConnection } from '../lib/live.js';
import type { ClinicClock } from '../lib/clock.js';

export function connectionText(live: LiveConnection, clock: ClinicClock): string {
  switch (live.state.value) {
    case 'live':
      return 'Live';
    case 'connecting':
      return 'Connecting…';
    case 'reconnecting':
      return 'Reconnecting…';
    case 'offline':
      return `Offline — showing data as of ${clock.timeLabelled(live.syncedAt.value)}`;
  }
}

export function ConnectionBadge({ live, clock }: { live: LiveConnection; clock: ClinicClock }) {
  const state = live.state.value;
  return (
    <span class={`badge ${state === 'live' ? 'live' : 'offline'}`} role="status" aria-label={`Connection: ${connectionText(live, clock)}`}>
      {connectionText(live, clock)}
    </span>
  );
}
