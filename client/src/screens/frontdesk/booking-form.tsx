/**
 * Book: patient (find or register), provider, date, start and duration, prefilled from
 * the cell, or from "first available" (the next free times of the provider or its
 * specialty). A 409 (the provider or the patient already has an appointment then) is shown
 * at the slot and in the form, which keeps everything typed. If someone else takes the
 * chosen slot while the form is open, the form says so and stays as it is.
 *
 * The exceptions the desk rules allow are offered only where the rules refused, and only to
 * roles that book (BOOKING_ROLES in shared/vocabulary.ts): after 409 `outside_working_hours`, a required reason
 * books it anyway (`outsideHoursReason`); after 409 `double_booking`, a required reason books
 * it as an overbook (`overbook.reason`, audited with high severity). Changing the time,
 * provider or duration withdraws the offer.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { useApp } from '../../components/context.js';
import { ApiError, describeError } from '../../lib/api.js';
import { hhmm, toMinutes } from '../../lib/clock.js';
import type { DayRow } from '../../lib/live.js';
import type { BookingRequest, DayProvider, FreeSlot } from '../../../../shared/api-types.js';
import { mayBook } from '../../../../shared/vocabulary.js';
import { PatientFinder, type ChosenPatient } from './patient-finder.js';
import { FirstAvailable } from './first-available.js';
import type { SlotMark } from './day-grid.js';
import { DateTimeFields, DurationField, ProviderOptions } from './fields.js';
import { FormError } from '../../components/states.js';
import { ReasonField } from '../../components/reason-field.js';
import { BusyButton } from '../../components/busy-button.js';

/**
 * The exceptions the desk rules allow once they refused, in the order the form asks for
 * their reasons; `min` is the shortest reason the API accepts (server/appointments/schemas.ts).
 */
const EXCEPTIONS = {
  outside: { id: 'outside-reason', label: 'Reason for booking outside working hours', hint: 'Stored with the appointment and audited.', min: 5 },
  overbook: {
    id: 'overbook-reason',
    label: 'Overbook reason',
    hint: 'Books on top of the existing appointment. Audited with high severity and shown as an overbook on every screen.',
    min: 10,
  },
} as const;
type Exception = keyof typeof EXCEPTIONS;
const EXCEPTION_KINDS = Object.keys(EXCEPTIONS) as Exception[];

export interface BookingDraft {
  providerId: number;
  date: string;
  minutes: number;
  durationMin: number;
}


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
  /** The new appointment and its clinic date (the form's date may differ from the grid's). */
  onBooked(appointmentId: number, date: string): void;
  onClose(): void;
  onMark(mark: SlotMark | undefined): void;
}) {
  const { api, clock, announce, me } = useApp();
  const [patient, setPatient] = useState<ChosenPatient>();
  const [providerId, setProviderId] = useState(props.draft.providerId);
  const [date, setDate] = useState(props.draft.date);
  const [start, setStart] = useState(hhmm(props.draft.minutes));
  const [duration, setDuration] = useState(props.draft.durationMin);
  const [conflict, setConflict] = useState<string>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  /** The exceptions offered after the rules refused this very time (never up front). */
  const [offer, setOffer] = useState<Partial<Record<Exception, boolean>>>({});
  const [reason, setReason] = useState<Record<Exception, string>>({ outside: '', overbook: '' });
  const [reasonError, setReasonError] = useState<Partial<Record<Exception, string>>>({});
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
  const form = useRef<HTMLFormElement>(null);
  const bookButton = useRef<HTMLButtonElement>(null);
  // Another time, provider or duration: the rules have not refused it (yet).
  useEffect(() => {
    setOffer({});
    setReasonError({});
  }, [providerId, date, start, duration]);

  const pick = (slot: FreeSlot) => {
    const w = clock.wall(slot.start);
    setProviderId(slot.providerId);
    setDate(w.date);
    setStart(`${w.hh}:${w.mm}`);
    setConflict(undefined);
    setError(undefined);
    props.onMark(undefined);
    const name = props.providers.find((p) => p.providerId === slot.providerId)?.name ?? 'the provider';
    announce(`Chosen: ${clock.longDate(w.date)} at ${w.hh}:${w.mm} with ${name}. Choose the patient and book.`);
    // The list of free times goes away with the one chosen: the focus goes on to what is next,
    // finding the patient, or Book when the patient is chosen already.
    (patient ? bookButton.current : form.current?.querySelector<HTMLElement>('[role=combobox]'))?.focus();
  };

  const minutes = /^\d{2}:\d{2}$/.test(start) ? toMinutes(start) : undefined;
  const takenMeanwhile =
    minutes !== undefined && date === props.shownDate ? overlapping(props.rows, (iso) => clock.wall(iso).minutes, providerId, minutes, duration) : undefined;
  const provider = props.providers.find((p) => p.providerId === providerId);
  const takenText = takenMeanwhile && `This time was just taken: ${clock.timeLabelled(takenMeanwhile.scheduledAt)} ${takenMeanwhile.patientName}. Pick another time.`;
  // Said when it appears (a line inserted with its text is not read out by every screen reader).
  const takenId = conflict ? undefined : takenMeanwhile?.appointmentId;
  useEffect(() => {
    if (takenId !== undefined && takenText) announce(takenText);
    // Once per appointment that takes the time, not again each time its text is rebuilt.
  }, [takenId]);

  const submit = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    setConflict(undefined);
    if (!patient) return setError('Choose or register the patient first.');
    if (minutes === undefined) return setError('Give the start time as HH:MM.');
    const tooShort = (k: Exception) => (offer[k] && reason[k].trim().length < EXCEPTIONS[k].min ? `Give the reason, at least ${EXCEPTIONS[k].min} characters.` : undefined);
    const reasons = { outside: tooShort('outside'), overbook: tooShort('overbook') };
    setReasonError(reasons);
    if (reasons.outside || reasons.overbook) return;
    const body: BookingRequest = { patientId: patient.patientId, providerId, scheduledAt: clock.instant(date, minutes), durationMin: duration };
    if (offer.outside) body.outsideHoursReason = reason.outside.trim();
    if (offer.overbook) body.overbook = { reason: reason.overbook.trim() };
    setBusy(true);
    try {
      const res = await api.book(body);
      props.onMark(undefined);
      const how = [offer.overbook ? 'as an overbook (audited)' : '', offer.outside ? 'outside working hours (audited)' : ''].filter(Boolean).join(' and ');
      const text = `Booked ${patient.name} with ${provider?.name ?? 'the provider'} at ${start}${clock.zoneNoteOn(date)}${how ? ` ${how}` : ''}.`;
      announce(text);
      props.onBooked(res.id, date);
    } catch (err) {
      setBusy(false);
      const allowed = mayBook(me.role);
      if (err instanceof ApiError && err.status === 409 && err.code === 'outside_working_hours') {
        const text =
          `${start}–${hhmm(minutes + duration)} on ${clock.longDate(date)} is outside ${provider?.name ?? 'the provider'}'s working hours or during their time off. ` +
          (allowed ? 'Choose another time (first available), or give a reason to book it anyway.' : 'Choose another time.');
        setConflict(text);
        announce(text, 'assertive');
        if (allowed) setOffer((o) => ({ ...o, outside: true }));
        props.onMark({ providerId, minutes, text: 'Outside working hours' });
      } else if (err instanceof ApiError && err.status === 409 && (err.code === 'overbook_full' || err.code === 'overbook_not_allowed')) {
        setConflict(err.message);
        announce(err.message, 'assertive');
        setOffer((o) => ({ ...o, overbook: false }));
      } else if (err instanceof ApiError && err.status === 409) {
        setConflict(err.message);
        announce(err.message, 'assertive');
        // A provider's double booking may become an overbook; a patient's never (they cannot be in two places).
        if (err.code === 'double_booking' && allowed) setOffer((o) => ({ ...o, overbook: true }));
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
    <form ref={form} class="side-form" onSubmit={submit} aria-labelledby="booking-title">
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
          <ProviderOptions providers={props.providers} />
        </select>
      </label>
      <DateTimeFields
        dateLabel="Date"
        timeLabel={`Start time${clock.zoneNoteOn(date)}`}
        date={date}
        time={start}
        onDate={setDate}
        onTime={setStart}
        timeDescribed={{ 'aria-describedby': conflict ? 'booking-conflict' : undefined }}
      />
      <DurationField value={duration} onChange={setDuration} />
      <FirstAvailable providerId={providerId} date={date} durationMin={duration} providers={props.providers} onPick={pick} />
      {takenText && !conflict && <p class="warn">{takenText}</p>}
      <FormError id="booking-conflict" message={conflict} />
      {EXCEPTION_KINDS.filter((k) => offer[k]).map((k) => (
        <ReasonField
          key={k}
          id={EXCEPTIONS[k].id}
          label={EXCEPTIONS[k].label}
          hint={EXCEPTIONS[k].hint}
          value={reason[k]}
          error={reasonError[k]}
          onInput={(v) => (setReason((r) => ({ ...r, [k]: v })), setReasonError((r) => ({ ...r, [k]: undefined })))}
        />
      ))}
      <FormError message={error} />
      <div class="actions">
        <BusyButton ref={bookButton} type="submit" busy={busy}>
          {busy ? 'Booking…' : offer.overbook ? 'Book as overbook' : offer.outside ? 'Book outside working hours' : 'Book'}
        </BusyButton>
        <button type="button" class="secondary" onClick={props.onClose}>
          Close
        </button>
      </div>
    </form>
  );
}
