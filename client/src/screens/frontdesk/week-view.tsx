/**
 * A week of one provider, for finding a day: the seven days of the week as columns (the
 * same grid, live: one shared clinic-day watch per day). Choosing a free time opens that
 * day with the booking form prefilled; choosing an appointment opens it there.
 */
import { useMemo, useState } from 'preact/hooks';
import { useApp } from '../../components/context.js';
import { ErrorView, Loading } from '../../components/states.js';
import { addDays, isoWeekday } from '../../lib/clock.js';
import type { DayRow } from '../../lib/live.js';
import type { DayProvider } from '../../../../shared/api-types.js';
import { DayGrid, openingMinutes } from './day-grid.js';
import { dayRows, useClinicDay } from './use-clinic-day.js';
import { ProviderOptions } from './fields.js';

const DAY_NAME = new Intl.DateTimeFormat('en-US', { timeZone: 'UTC', weekday: 'short', month: 'short', day: 'numeric' });

export function WeekView(props: { date: string; providers: DayProvider[]; showCancelled: boolean; onPick(date: string, providerId: number, minutes?: number, appointmentId?: number): void }) {
  const { clock } = useApp();
  const [picked, setProviderId] = useState(() => props.providers[0]?.providerId);
  // The providers offered follow the page's filters: a provider the filter now hides is not the
  // week shown (the list would say one provider and the grid show, and book for, another).
  const providerId = props.providers.some((p) => p.providerId === picked) ? picked : props.providers[0]?.providerId;
  const monday = addDays(props.date, 1 - isoWeekday(props.date));
  const dates = Array.from({ length: 7 }, (_, i) => addDays(monday, i));
  // Seven days, always seven hooks.
  const days = dates.map((d) => useClinicDay(d, { announce: 'none' }));
  const failed = days.map((d) => d.load).find((l) => l.status === 'error');
  // A day whose live watch was refused or not answered stays as first loaded: say so, as the day view does.
  const paused = days.find((d) => d.watch.error.value);
  // `current`, not `data`: moving to another week must not draw last week's hours and time off under the new dates.
  const loading = days.some((d) => !d.load.current);

  // Each day is a column: a pseudo-provider whose id is the day's index.
  const columns: DayProvider[] = dates.map((d, i) => {
    const pr = days[i]!.load.current?.providers.find((p) => p.providerId === providerId);
    return { providerId: i + 1, name: DAY_NAME.format(new Date(`${d}T12:00:00Z`)), specialty: pr?.name ?? '', workingHours: pr?.workingHours ?? [], timeOff: pr?.timeOff ?? [] };
  });
  const rowsByDay = days.map((d) => d.watch.rows.value);
  const rows = useMemo(
    () => rowsByDay.flatMap((m, i) => dayRows(m, props.showCancelled).filter((r) => r.providerId === providerId).map((r) => ({ ...r, providerId: i + 1 }))),
    [...rowsByDay, providerId, props.showCancelled],
  );
  const flash = new Set(days.flatMap((d) => [...d.flash.value]));
  const provider = props.providers.find((p) => p.providerId === providerId);
  const todayAt = dates.indexOf(clock.today());
  // Opened, or on another week or provider: to now in this week, else the provider's earliest hour.
  const firstMinutes = openingMinutes(columns, todayAt >= 0, clock);
  const scrollTo = useMemo(() => ({ minutes: firstMinutes, nonce: Date.now() }), [monday, providerId, loading]);

  return (
    <div class="week">
      <label class="inline">
        Provider for the week
        <select value={String(providerId ?? '')} onChange={(e) => setProviderId(Number(e.currentTarget.value))}>
          <ProviderOptions providers={props.providers} />
        </select>
      </label>
      {failed ? (
        <ErrorView error={failed.status === 'error' ? failed.error : undefined} retry={failed.reload} what="The week could not be loaded." />
      ) : loading || providerId === undefined ? (
        <Loading label="Loading the week…" />
      ) : (
        <>
          {paused && <ErrorView error={new Error(paused.watch.error.value)} what="Live updates are paused for part of this week." retry={() => paused.watch.retry()} />}
          <DayGrid
            date={monday}
            now={todayAt >= 0 ? { index: todayAt } : 'none'}
            scrollTo={scrollTo}
            label={`Week of ${clock.longDate(monday)}, ${provider?.name ?? ''}, clinic time`}
            providers={columns}
            rows={rows}
            clock={clock}
            flash={flash}
            onFreeCell={(col, minutes) => props.onPick(dates[col - 1]!, providerId, minutes)}
            onOpen={(r: DayRow) => props.onPick(dates[r.providerId - 1]!, providerId, undefined, r.appointmentId)}
          />
        </>
      )}
    </div>
  );
}
