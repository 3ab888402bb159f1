/**
 * The waitlist, live: who is waiting (GET /api/waitlist, re-read on every `waitlist:changed`
 * and after every reconnect), adding a patient (a provider or any provider of a specialty, a
 * window, a duration), withdrawing one, and the offers of freed slots (`waitlist:offer`, with
 * the cursor sent back on reconnect so none is lost). Booking a candidate is one step:
 * POST /api/appointments with its waitlistId; if another desk took it first, the 409 says so.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { useApp } from '../../components/context.js';
import { useFocusAfterRender } from '../../components/focus.js';
import { Empty, ErrorView, Loading, useResource, FormError } from '../../components/states.js';
import { ApiError, OwnChanges, describeError } from '../../lib/api.js';
import { addDays, toMinutes } from '../../lib/clock.js';
import { schedulingApi, type SchedulingApi } from '../../lib/scheduling-api.js';
import type { DayProvider, WaitlistEntry, WaitlistRequest } from '../../../../shared/api-types.js';
import type { WaitlistOffer, WaitlistWatchAck } from '../../../../shared/events.js';
import { PatientFinder, type ChosenPatient } from './patient-finder.js';
import { DateTimeFields, DurationField } from './fields.js';
import { shortDate } from './first-available.js';
import { BusyButton } from '../../components/busy-button.js';

/** Offers kept on screen at once (newest first). */
const MAX_OFFERS = 5;

export function WaitlistPanel(props: { providers: DayProvider[]; date: string; onBooked(appointmentId: number, date: string): void }) {
  const { api, clock, live, announce } = useApp();
  const sched = useMemo(() => schedulingApi(api), [api]);
  const [nonce, setNonce] = useState(0);
  const list = useResource((signal) => sched.waitlist({ signal, background: nonce > 0 }), [nonce]);
  const [offers, setOffers] = useState<WaitlistOffer[]>([]);
  const [adding, setAdding] = useState(false);
  const [removeError, setRemoveError] = useState<string>();
  const names = useMemo(() => new Map(props.providers.map((p) => [p.providerId, p.name])), [props.providers]);
  const namesRef = useRef(names);
  namesRef.current = names;
  /** The last offer cursor applied: sent back on reconnect, so no offer is lost. */
  const cursorRef = useRef<number | undefined>(undefined);
  /**
   * Who the list on screen held (id → name): a re-read that differs says who was added or went,
   * elsewhere. This page's own adds, removals and bookings are claimed by the API client
   * (api.own, before the request: the push that makes the list re-read can beat the answer),
   * and said by the page itself.
   */
  const shown = useRef<Map<number, string>>(undefined);
  useEffect(() => {
    if (!list.data) return;
    const before = shown.current;
    const now = new Map(list.data.map((e) => [e.waitlistId, e.patientName]));
    shown.current = now;
    if (!before) return;
    const said = [
      ...list.data
        .filter((e) => !before.has(e.waitlistId) && !api.own.has(OwnChanges.waitlistPatient(e.patientId)))
        .map((e) => `${e.patientName} was added to the waitlist`),
      ...[...before].filter(([id]) => !now.has(id) && !api.own.has(OwnChanges.waitlistEntry(id))).map(([, name]) => `${name} is off the waitlist`),
    ];
    if (said.length > 0) announce(`${said.join('; ')}.`);
  }, [list.data, announce, api]);

  // waitlist:watch on every (re)connect, from the last offer cursor applied.
  useEffect(() => {
    const socket = live.socket;
    let stopped = false;
    const reread = () => setNonce((n) => n + 1);
    const onOffer = (o: WaitlistOffer) => {
      if (cursorRef.current !== undefined && o.cursor <= cursorRef.current) return;
      cursorRef.current = o.cursor;
      setOffers((list) => [o, ...list.filter((x) => x.cursor !== o.cursor)].slice(0, MAX_OFFERS));
      const w = clock.wall(o.slot.start);
      announce(`Slot freed: ${namesRef.current.get(o.slot.providerId) ?? 'a provider'} ${shortDate(w.date)} at ${clock.timeLabelled(o.slot.start)}; ${o.candidates.length} waiting patient${o.candidates.length === 1 ? ' fits' : 's fit'}.`);
    };
    const watch = () => {
      socket
        .timeout(15_000)
        .emitWithAck('waitlist:watch', cursorRef.current === undefined ? {} : { since: cursorRef.current })
        .then(
          (ack: WaitlistWatchAck) => {
            if (!stopped && ack.ok) cursorRef.current = Math.max(cursorRef.current ?? 0, ack.cursor);
          },
          () => undefined, // disconnected meanwhile: the next connect re-watches
        );
      reread();
    };
    socket.on('waitlist:offer', onOffer);
    socket.on('waitlist:changed', reread);
    socket.on('connect', watch);
    if (socket.connected) watch();
    return () => {
      stopped = true;
      socket.off('waitlist:offer', onOffer);
      socket.off('waitlist:changed', reread);
      socket.off('connect', watch);
    };
  }, [live]);

  const entries = list.data ?? [];
  const byId = new Map(entries.map((e) => [e.waitlistId, e]));

  // The Add button, an entry's Remove and an offer's Dismiss each go away with what they did: the focus
  // goes to what is left (the Add button again, or the panel's heading).
  const heading = useRef<HTMLHeadingElement>(null);
  const addButton = useRef<HTMLButtonElement>(null);
  const focusAfterRender = useFocusAfterRender();

  /** The entry whose removal is under way: a second press would be refused as "no such entry". */
  const [removing, setRemoving] = useState<number>();
  const remove = async (e: WaitlistEntry) => {
    if (removing !== undefined) return;
    setRemoveError(undefined);
    setRemoving(e.waitlistId);
    try {
      await sched.removeFromWaitlist(e.waitlistId);
      announce(`${e.patientName} is off the waitlist.`);
      focusAfterRender(heading);
      setNonce((n) => n + 1);
    } catch (err) {
      setRemoveError(`${e.patientName} was not removed: ${describeError(err)}`);
    } finally {
      setRemoving(undefined);
    }
  };

  return (
    <section class="card waitlist" aria-labelledby="waitlist-title">
      <div class="panel-head">
        <h2 id="waitlist-title" ref={heading} tabIndex={-1}>
          Waitlist ({entries.length})
        </h2>
        {!adding && (
          <button ref={addButton} type="button" class="secondary" onClick={() => setAdding(true)}>
            Add to waitlist
          </button>
        )}
      </div>
      {adding && (
        <AddToWaitlist
          sched={sched}
          providers={props.providers}
          date={props.date}
          onClose={(added) => {
            setAdding(false);
            focusAfterRender(addButton);
            if (added) setNonce((n) => n + 1);
          }}
        />
      )}
      {offers.map((o) => (
        <OfferCard
          key={o.cursor}
          offer={o}
          providerName={names.get(o.slot.providerId) ?? 'Provider'}
          earliestOf={(id) => byId.get(id)?.earliest}
          waiting={(id) => !list.data || byId.has(id)}
          onDismiss={() => (setOffers((list) => list.filter((x) => x !== o)), focusAfterRender(heading))}
          onBooked={(appointmentId, d) => {
            setOffers((list) => list.filter((x) => x !== o));
            props.onBooked(appointmentId, d);
          }}
        />
      ))}
      <FormError message={removeError} />
      {/* A re-read after a change elsewhere failed: the list below is as last read, and says so. */}
      {list.status === 'error' && list.data && <ErrorView error={list.error} retry={list.reload} what="The waitlist could not be brought up to date; below is the list as last read." />}
      {list.status === 'error' && !list.data ? (
        <ErrorView error={list.error} retry={list.reload} what="The waitlist could not be loaded." />
      ) : !list.data ? (
        <Loading label="Loading the waitlist…" />
      ) : entries.length === 0 ? (
        <Empty>Nobody is on the waitlist.</Empty>
      ) : (
        <ul class="feed" aria-label="Waiting patients, longest-waiting first">
          {entries.map((e) => (
            <li key={e.waitlistId}>
              <strong>{e.patientName}</strong> · {e.providerId !== null ? (names.get(e.providerId) ?? `provider ${e.providerId}`) : `any provider in ${e.specialty}`} · {e.durationMin} min
              <br />
              <span class="hint">
                {windowText(clock, e.earliest, e.latest)} · waiting since {shortDate(clock.wall(e.waitingSince).date)}
                {e.note ? ` · ${e.note}` : ''}
              </span>{' '}
              <BusyButton type="button" class="link-dark" busy={removing === e.waitlistId} onClick={() => void remove(e)}>
                Remove {e.patientName} from the waitlist
              </BusyButton>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function windowText(clock: ReturnType<typeof useApp>['clock'], earliest: string, latest: string): string {
  const a = clock.wall(earliest);
  const b = clock.wall(latest);
  return `${shortDate(a.date)} ${clock.timeLabelled(earliest)} to ${a.date === b.date ? '' : `${shortDate(b.date)} `}${clock.timeLabelled(latest)}`;
}

/** A freed slot and the waiting patients who fit it, each bookable in one step. */
function OfferCard(props: {
  offer: WaitlistOffer;
  providerName: string;
  earliestOf(waitlistId: number): string | undefined;
  /** Whether the entry is still on the waitlist as last read (a candidate booked or removed since is not offered). */
  waiting(waitlistId: number): boolean;
  onDismiss(): void;
  onBooked(appointmentId: number, date: string): void;
}) {
  const { api, clock, announce } = useApp();
  const { slot } = props.offer;
  const [gone, setGone] = useState<Set<number>>(new Set());
  const [busy, setBusy] = useState<number>();
  const [error, setError] = useState<string>();
  const w = clock.wall(slot.start);
  const label = `${props.providerName}, ${shortDate(w.date)} ${clock.time(slot.start)}–${clock.time(slot.end)}${clock.zoneNoteAt(slot.start)}`;
  const candidates = props.offer.candidates.filter((c) => !gone.has(c.waitlistId) && props.waiting(c.waitlistId));
  // A refused Book goes away with its candidate: the focus goes to the next candidate's Book, or to Dismiss.
  const firstBook = useRef<HTMLButtonElement>(null);
  const dismiss = useRef<HTMLButtonElement>(null);
  const focusAfterRender = useFocusAfterRender();

  const book = async (c: WaitlistOffer['candidates'][number]) => {
    setError(undefined);
    setBusy(c.waitlistId);
    // The patient's window may start inside the freed slot, not at its start.
    const earliest = props.earliestOf(c.waitlistId);
    const start = earliest && Date.parse(earliest) > Date.parse(slot.start) ? earliest : slot.start;
    try {
      const res = await api.book({ patientId: c.patientId, providerId: slot.providerId, scheduledAt: start, durationMin: c.durationMin, waitlistId: c.waitlistId });
      announce(`Booked ${c.patientName} with ${props.providerName} on ${clock.longDate(clock.wall(start).date)} at ${clock.timeLabelled(start)} from the waitlist.`);
      props.onBooked(res.id, clock.wall(start).date);
    } catch (err) {
      setBusy(undefined);
      const message =
        err instanceof ApiError && err.code === 'waitlist_entry_gone'
          ? `${c.patientName} was already booked or taken off the waitlist (perhaps at another desk).`
          : `${c.patientName} was not booked: ${describeError(err)}`;
      setError(message);
      announce(message, 'assertive');
      if (err instanceof ApiError && err.status === 409) {
        setGone((g) => new Set(g).add(c.waitlistId));
        focusAfterRender(candidates.length > 1 ? firstBook : dismiss);
      }
    }
  };

  return (
    <div class="offer" role="group" aria-label={`Freed slot: ${label}`}>
      <p>
        <strong>Slot freed:</strong> {label}
      </p>
      {candidates.length === 0 ? (
        <p class="hint">Nobody on the waitlist fits it any more.</p>
      ) : (
        <ul class="feed">
          {candidates.map((c, i) => (
            <li key={c.waitlistId}>
              {c.patientName} · {c.durationMin} min · waiting since {shortDate(clock.wall(c.waitingSince).date)}{' '}
              <BusyButton ref={i === 0 ? firstBook : undefined} type="button" busy={busy !== undefined} onClick={() => void book(c)}>
                {busy === c.waitlistId ? 'Booking…' : `Book ${c.patientName}`}
              </BusyButton>
            </li>
          ))}
        </ul>
      )}
      <FormError message={error} />
      <button ref={dismiss} type="button" class="secondary" onClick={props.onDismiss}>
        Dismiss this offer
      </button>
    </div>
  );
}

/** Put a patient on the waitlist: a provider or a specialty, a window, a duration, a note. */
/** `onClose(added)`: whether one was added. */
function AddToWaitlist(props: { sched: SchedulingApi; providers: DayProvider[]; date: string; onClose(added: boolean): void }) {
  const { clock, announce } = useApp();
  const today = clock.today();
  const first = props.date > today ? props.date : today;
  const specialties = useMemo(() => [...new Set(props.providers.map((p) => p.specialty))].sort(), [props.providers]);
  const [patient, setPatient] = useState<ChosenPatient>();
  const [target, setTarget] = useState(() => (props.providers[0] ? `p:${props.providers[0].providerId}` : ''));
  const [fromDate, setFromDate] = useState(first);
  const [fromTime, setFromTime] = useState('08:00');
  const [untilDate, setUntilDate] = useState(addDays(first, 13));
  const [untilTime, setUntilTime] = useState('18:00');
  const [duration, setDuration] = useState(30);
  const [note, setNote] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!patient) return setErrors({ form: 'Choose or register the patient first.' });
    if (!/^\d{2}:\d{2}$/.test(fromTime) || !/^\d{2}:\d{2}$/.test(untilTime)) return setErrors({ form: 'Give the times as HH:MM.' });
    const body: WaitlistRequest = {
      patientId: patient.patientId,
      earliest: clock.instant(fromDate, toMinutes(fromTime)),
      latest: clock.instant(untilDate, toMinutes(untilTime)),
      durationMin: duration,
      ...(target.startsWith('p:') ? { providerId: Number(target.slice(2)) } : { specialty: target.slice(2) }),
      ...(note.trim() ? { note: note.trim() } : {}),
    };
    setErrors({});
    setBusy(true);
    try {
      await props.sched.addToWaitlist(body);
      announce(`Added ${patient.name} to the waitlist.`);
      props.onClose(true);
    } catch (err) {
      setBusy(false);
      if (err instanceof ApiError && err.status === 400) {
        const f = err.fieldErrors();
        setErrors(Object.keys(f).length ? f : { form: err.message });
      } else setErrors({ form: describeError(err) });
    }
  };

  const fieldError = (name: string) =>
    errors[name] ? (
      <span id={`wl-${name}-error`} class="field-error" role="alert">
        {errors[name]}
      </span>
    ) : null;
  const described = (name: string) => (errors[name] ? { 'aria-invalid': true, 'aria-describedby': `wl-${name}-error` } : {});

  // Opened from its Add button, which it replaces: the focus starts in its first field.
  const form = useRef<HTMLFormElement>(null);
  useEffect(() => form.current?.querySelector<HTMLElement>('input, select')?.focus(), []);

  return (
    <form ref={form} class="side-form" aria-label="Add to waitlist" onSubmit={submit}>
      <PatientFinder value={patient} onChange={setPatient} idPrefix="waitlist-patient" />
      <label>
        Wait for
        <select value={target} onChange={(e) => setTarget(e.currentTarget.value)} {...described('providerId')}>
          {props.providers.map((p) => (
            <option key={p.providerId} value={`p:${p.providerId}`}>
              {p.name} — {p.specialty}
            </option>
          ))}
          {specialties.map((s) => (
            <option key={s} value={`s:${s}`}>
              Any provider in {s}
            </option>
          ))}
        </select>
        {fieldError('providerId')}
      </label>
      <DateTimeFields dateLabel="Earliest date" timeLabel="Earliest time" date={fromDate} time={fromTime} onDate={setFromDate} onTime={setFromTime} dateDescribed={described('earliest')} />
      {fieldError('earliest')}
      <DateTimeFields dateLabel="Latest date" timeLabel="Latest time" date={untilDate} time={untilTime} onDate={setUntilDate} onTime={setUntilTime} dateDescribed={described('latest')} />
      {fieldError('latest')}
      <DurationField value={duration} onChange={setDuration} />
      <label>
        Note for the desk (optional)
        <input type="text" maxLength={500} value={note} onInput={(e) => setNote(e.currentTarget.value)} {...described('note')} />
        {fieldError('note')}
      </label>
      <p class="hint">
        Times are clinic time; the window is {fromTime}
        {clock.zoneNoteOn(fromDate)} on {shortDate(fromDate)} to {untilTime}
        {clock.zoneNoteOn(untilDate)} on {shortDate(untilDate)}
        {untilDate === fromDate ? '' : ` (${Math.round((Date.parse(untilDate) - Date.parse(fromDate)) / 86_400_000) + 1} days)`}.
      </p>
      <FormError message={errors.form} />
      <div class="actions">
        <BusyButton type="submit" busy={busy}>
          {busy ? 'Adding…' : 'Add patient to waitlist'}
        </BusyButton>
        <button type="button" class="secondary" onClick={() => props.onClose(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}
