/**
 * Book: patient (find or register), provider, date, start and duration, prefilled from
 * the cell. A 409 (the provider or the patient already has an appointment then) is shown
 * at the slot and in the form, which keeps everything typed. If someone else takes the
 * chosen slot while the form is open, the form says so and stays as it is.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { useApp } from '../../components/context.js';
import { ApiError, describeError } from '../../lib/api.js';
import { hhmm, toMinutes } from '../../lib/clock.js';
import type { DayRow } from '../../lib/live.js';
import type { DayProvider } from '../../../../shared/api-types.js';
import { PatientFinder, type ChosenPatient } from './patient-finder.js';
import type { SlotMark } from './day-grid.js';

export interface BookingDraft {
  providerId: number;
  date: string;
  minutes: number;
  durationMin: number;
}

export const DURATIONS = [15, 30, 45, 60, 90, 120];

/** The non-cancelled appointment of `providerId` overlapping [minutes, minutes + duration) on the shown day, if any. */
export function overlapping(rows: DayRow[], clockWall: (iso: string) => number, providerId: number, minutes: number, duration: number, except?: number): DayRow | undefined {
  return rows.find((r) => {
    if (r.providerId !== providerId || r.status === 'cancelled' || r.appointmentId === except) return false;
    const s = clockWall(r.scheduledAt);
    return s < minutes + duration && minutes < s + r.durationMin;
  });
}

export function BookingForm(props: {
  draft: BookingDraft;
  providers: DayProvider[];
  /** The rows of the day the grid shows (to notice a slot taken meanwhile). */
  rows: DayRow[];
  shownDate: string;
  onBooked(appointmentId: number, text: string): void;
  onClose(): void;
  onMark(mark: SlotMark | undefined): void;
}) {
  const { api, clock, announce } = useApp();
  const [patient, setPatient] = useState<ChosenPatient>();
  const [providerId, setProviderId] = useState(props.draft.providerId);
  const [date, setDate] = useState(props.draft.date);
  const [start, setStart] = useState(hhmm(props.draft.minutes));
  const [duration, setDuration] = useState(props.draft.durationMin);
  const [conflict, setConflict] = useState<string>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);

  // A new cell chosen while the form is open moves the slot, keeping the patient.
  useEffect(() => {
    setProviderId(props.draft.providerId);
    setDate(props.draft.date);
    setStart(hhmm(props.draft.minutes));
    setConflict(undefined);
    props.onMark(undefined);
  }, [props.draft]);
  useEffect(() => heading.current?.focus(), []);

  const minutes = /^\d{2}:\d{2}$/.test(start) ? toMinutes(start) : undefined;
  const takenMeanwhile =
    minutes !== undefined && date === props.shownDate ? overlapping(props.rows, (iso) => clock.wall(iso).minutes, providerId, minutes, duration) : undefined;
  const provider = props.providers.find((p) => p.providerId === providerId);

  const submit = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    setConflict(undefined);
    if (!patient) return setError('Choose or register the patient first.');
    if (minutes === undefined) return setError('Give the start time as HH:MM.');
    setBusy(true);
    try {
      const res = await api.book({ patientId: patient.patientId, providerId, scheduledAt: clock.instant(date, minutes), durationMin: duration });
      props.onMark(undefined);
      const text = `Booked ${patient.name} with ${provider?.name ?? 'the provider'} at ${start}.`;
      announce(text);
      props.onBooked(res.id, text);
    } catch (err) {
      setBusy(false);
      if (err instanceof ApiError && err.status === 409) {
        setConflict(err.message);
        announce(err.message, 'assertive');
        const c = err.details?.conflict;
        props.onMark({
          providerId,
          minutes,
          text: c ? `Taken ${clock.time(c.scheduledAt)}–${hhmm(clock.wall(c.scheduledAt).minutes + c.durationMin)}` : 'Conflict',
        });
      } else if (err instanceof ApiError && err.status === 400) {
        setError(err.message);
      } else {
        setError(describeError(err));
      }
    }
  };

  return (
    <form class="side-form" onSubmit={submit} aria-labelledby="booking-title">
      <div class="panel-head">
        <h2 id="booking-title" tabIndex={-1} ref={heading}>
          New appointment
        </h2>
        <button type="button" class="icon" aria-label="Close new appointment" onClick={props.onClose}>
          ×
        </button>
      </div>
      <PatientFinder value={patient} onChange={setPatient} />
      <label>
        Provider
        <select value={String(providerId)} onChange={(e) => setProviderId(Number(e.currentTarget.value))}>
          {props.providers.map((p) => (
            <option key={p.providerId} value={String(p.providerId)}>
              {p.name} — {p.specialty}
            </option>
          ))}
        </select>
      </label>
      <div class="row2">
        <label>
          Date
          <input type="date" value={date} required onInput={(e) => setDate(e.currentTarget.value)} />
        </label>
        <label>
          Start time{clock.browserDiffers ? ` (${clock.zoneLabel})` : ''}
          <input type="time" step={clock.slotMinutes * 60} value={start} required aria-describedby={conflict ? 'booking-conflict' : undefined} onInput={(e) => setStart(e.currentTarget.value)} />
        </label>
      </div>
      <label>
        Duration
        <select value={String(duration)} onChange={(e) => setDuration(Number(e.currentTarget.value))}>
          {DURATIONS.map((d) => (
            <option key={d} value={String(d)}>
              {d} min
            </option>
          ))}
        </select>
      </label>
      {takenMeanwhile && !conflict && (
        <p class="warn" role="status">
          This time was just taken: {clock.time(takenMeanwhile.scheduledAt)} {takenMeanwhile.patientName}. Pick another time.
        </p>
      )}
      {conflict && (
        <p id="booking-conflict" class="field-error" role="alert">
          {conflict}
        </p>
      )}
      {error && (
        <p class="field-error" role="alert">
          {error}
        </p>
      )}
      <div class="actions">
        <button type="submit" disabled={busy}>
          {busy ? 'Booking…' : 'Book'}
        </button>
        <button type="button" class="secondary" onClick={props.onClose}>
          Close
        </button>
      </div>
    </form>
  );
}
