/** The waiting room: today's checked-in patients with how long they have waited, live. */
import { useEffect, useState } from 'preact/hooks';
import { useApp } from '../../components/context.js';
import { Empty, ErrorView, Loading } from '../../components/states.js';
import type { DayRow } from '../../lib/live.js';
import type { DayProvider } from '../../../../shared/api-types.js';
import type { ClinicDayState } from './use-clinic-day.js';

export function WaitingRoom({ day, onOpen }: { day: ClinicDayState; onOpen(row: DayRow): void }) {
  const { clock } = useApp();
  const [now, setNow] = useState(() => clock.now());
  useEffect(() => {
    const t = setInterval(() => setNow(clock.now()), 30_000);
    return () => clearInterval(t);
  }, [clock]);
  const providers = new Map<number, DayProvider>((day.load.data?.providers ?? []).map((p) => [p.providerId, p]));
  // Checked in = waiting; the row's last change is its check-in.
  const waiting = [...day.watch.rows.value.values()].filter((r) => r.status === 'checked_in').sort((a, b) => a.updatedAt.localeCompare(b.updatedAt));
  return (
    <section class="card waiting" aria-labelledby="waiting-title">
      <h2 id="waiting-title">Waiting room ({waiting.length})</h2>
      {day.load.status === 'error' ? (
        <ErrorView error={day.load.error} retry={day.load.reload} />
      ) : day.load.status === 'loading' && !day.load.data ? (
        <Loading />
      ) : waiting.length === 0 ? (
        <Empty>Nobody is waiting.</Empty>
      ) : (
        <ul class="feed">
          {waiting.map((r) => {
            const mins = Math.max(0, Math.floor((now - Date.parse(r.updatedAt)) / 60_000));
            return (
              <li key={r.appointmentId}>
                <button type="button" class="link-dark" onClick={() => onOpen(r)}>
                  {r.patientName}
                </button>{' '}
                for {clock.timeLabelled(r.scheduledAt)} · {providers.get(r.providerId)?.name ?? ''} · <strong>waiting {mins} min</strong>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
