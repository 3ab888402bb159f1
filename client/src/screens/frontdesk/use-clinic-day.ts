/**
 * One clinic day for the front desk: providers with working hours and every appointment,
 * loaded in one request (GET /api/clinic/day) and then kept live by one clinic:watch.
 * Live changes made elsewhere are flashed for 1.5 s and announced for screen readers; this page's
 * own (api.own) are not: it says them itself.
 */
import { useEffect, useMemo } from 'preact/hooks';
import { signal, type Signal } from '@preact/signals';
import { useApp } from '../../components/context.js';
import { useResource, type Resource } from '../../components/states.js';
import { ClinicDayWatch, EVENT_WORDS, type DayRow } from '../../lib/live.js';
import type { DayProvider } from '../../../../shared/api-types.js';
import type { ScheduleChanged } from '../../../../shared/events.js';

export interface ClinicDayState {
  /** The day's providers, with the date they were loaded for; `load.current` only when that is `date` (a reload keeps the last in `load.data`). */
  load: Resource<{ date: string; providers: DayProvider[] }>;
  watch: ClinicDayWatch;
  /** Appointment ids changed by someone else in the last 1.5 s. */
  flash: Signal<ReadonlySet<number>>;
}


/**
 * `announce`: every change made elsewhere (the day on screen, the default), only arrivals
 * (today's waiting room beside another day: it lists them, so it says them), or nothing (the
 * week view's seven days).
 */
export function useClinicDay(date: string, opts: { announce?: 'all' | 'arrivals' | 'none' } = {}): ClinicDayState {
  const { api, live, clock, announce } = useApp();
  const flash = useMemo(() => signal<ReadonlySet<number>>(new Set()), []);
  const handle = useMemo(
    () => live.acquireDay(date, (patientId) => api.patient(patientId, { retry: false, background: true }).then((p) => ('dob' in p ? p.dob : undefined))),
    [live, date, api],
  );
  useEffect(() => () => handle.release(), [handle]);
  const watch = handle.watch;
  useEffect(() => {
    const listener = (e: ScheduleChanged, _before: DayRow | undefined, after: DayRow | undefined) => {
      // This page's own change: it said so in its own words, and the person made it; no flash either.
      if (api.own.hasAppointment(e.appointment, e.kind)) return;
      const id = e.appointment.appointmentId;
      flash.value = new Set([...flash.value, id]);
      setTimeout(() => {
        const next = new Set(flash.value);
        next.delete(id);
        flash.value = next;
      }, 1500);
      const say = opts.announce ?? 'all';
      if (after && (say === 'all' || (say === 'arrivals' && e.kind === 'checked_in'))) announce(`${after.patientName}, ${clock.timeLabelled(after.scheduledAt)}: ${EVENT_WORDS[e.kind]}.`);
    };
    watch.listeners.add(listener);
    return () => void watch.listeners.delete(listener);
  }, [watch, flash, announce, clock, opts.announce, api]);
  const load = useResource(
    async (signal) => {
      const day = await api.clinicDay(date, { signal });
      // For `npm run bench` (client section): data in hand → grid painted.
      performance.mark('clinicpulse:day-data');
      watch.seed(day.appointments);
      return { date, providers: day.providers };
    },
    [date, watch],
    date,
  );
  return { load, watch, flash };
}

/** Rows of the day as a list, by start time. */
export function dayRows(rows: ReadonlyMap<number, DayRow>, includeCancelled: boolean): DayRow[] {
  const out: DayRow[] = [];
  for (const r of rows.values()) if (includeCancelled || r.status !== 'cancelled') out.push(r);
  return out.sort((a, b) => a.scheduledAt.localeCompare(b.scheduledAt) || a.appointmentId - b.appointmentId);
}
