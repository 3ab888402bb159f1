/**
 * One appointment: who, when, status; the actions its status allows (Check in, Cancel
 * appointment, No-show — the last two confirmed, since they cannot be undone); and
 * Reschedule by editing provider, date, start and duration, with the same conflict
 * handling as booking and an Undo offered afterwards.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { useApp } from '../../components/context.js';
import { useFocusAfterRender } from '../../components/focus.js';
import { Confirm } from '../../components/dialog.js';
import { ErrorView, Loading, useResource, FormError } from '../../components/states.js';
import { ApiError, describeError, type Api } from '../../lib/api.js';
import { hhmm, toMinutes } from '../../lib/clock.js';
import type { DayRow } from '../../lib/live.js';
import type { Appointment, DayProvider } from '../../../../shared/api-types.js';
import { can, STATUS } from './status.js';
import { DurationField } from './fields.js';
import type { GridPlace } from './day-grid.js';
import { BusyButton } from '../../components/busy-button.js';

export interface MoveDone {
  text: string;
  undo: () => Promise<void>;
  /** Where Undo puts it back (the grid's focus goes there). */
  back: GridPlace;
  /** The clinic date it was moved to, when the panel moved it to another day (the screen follows it there). */
  movedTo?: string;
  appointmentId: number;
  /**
   * The appointment's `updatedAt` before the move and after it. Any other value on screen means
   * another desk changed it since, and Undo would put it back over that change: Undo refuses.
   * (Before: this desk's own push has not arrived yet, so no later one has either.)
   */
  versions: readonly [string, string];
}

/** What a move of `row`, which the server answered with `after`, offers: Undo puts `row` back where it was. */
export function moveDone(api: Api, row: DayRow, after: Appointment, text: string, movedTo?: string): MoveDone {
  const back = { scheduledAt: row.scheduledAt, durationMin: row.durationMin, providerId: row.providerId };
  return {
    text,
    undo: () => api.reschedule(row.appointmentId, back).then(() => undefined),
    back,
    ...(movedTo !== undefined ? { movedTo } : {}),
    appointmentId: row.appointmentId,
    versions: [row.updatedAt, after.updatedAt],
  };
}

/** One appointment's panel; keyed by the appointment, so opening another never shows this one's form or history. */
export function AppointmentPanel(props: { row: DayRow; providers: DayProvider[]; onClose(): void; onMoved(m: MoveDone): void }) {
  const { api, clock, announce } = useApp();
  const { row } = props;
  const [confirm, setConfirm] = useState<'cancel' | 'no_show'>();
  const [editing, setEditing] = useState(false);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), [row.appointmentId]);
  // An action's button goes away with the status it changed, and the Reschedule form with its
  // Save or Keep: the focus goes back to the panel's heading.
  const focusAfterRender = useFocusAfterRender();
  useEffect(() => setError(undefined), [row.status]);

  const provider = props.providers.find((p) => p.providerId === row.providerId);
  const start = clock.wall(row.scheduledAt);
  const st = STATUS[row.status];

  const act = async (what: 'checkIn' | 'cancel' | 'noShow', done: string) => {
    setBusy(true);
    setError(undefined);
    try {
      await api[what](row.appointmentId);
      announce(`${row.patientName}: ${done}.`);
      focusAfterRender(heading);
    } catch (err) {
      setError(describeError(err));
      announce(describeError(err), 'assertive');
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="side-form" aria-labelledby="appt-title">
      <div class="panel-head">
        <h2 id="appt-title" tabIndex={-1} ref={heading}>
          {row.patientName}
        </h2>
        <button type="button" class="icon" aria-label="Close appointment" onClick={props.onClose}>
          ×
        </button>
      </div>
      <dl class="facts">
        <dt>Born</dt>
        <dd>{row.patientDob || '…'}</dd>
        <dt>When</dt>
        <dd>
          {clock.longDate(start.date)}, {hhmm(start.minutes)}–{hhmm(start.minutes + row.durationMin)} ({row.durationMin} min)
          {clock.zoneNoteAt(row.scheduledAt)}
        </dd>
        <dt>Provider</dt>
        <dd>{provider ? `${provider.name} — ${provider.specialty}` : `#${row.providerId}`}</dd>
        <dt>Status</dt>
        <dd>
          <span class={`status ${row.status}`}>
            {st.icon} {st.label}
          </span>
        </dd>
        {row.overbookReason && (
          <>
            <dt>Overbook</dt>
            <dd>
              <strong>Overbooked</strong> (audited): {row.overbookReason}
            </dd>
          </>
        )}
        <dt>Last change</dt>
        <dd>
          {clock.longDate(clock.wall(row.updatedAt).date)} {clock.timeLabelled(row.updatedAt)}
        </dd>
      </dl>
      <div class="actions">
        {can.checkIn(row.status) && (
          <BusyButton type="button" busy={busy} onClick={() => void act('checkIn', 'checked in')}>
            Check in
          </BusyButton>
        )}
        {can.reschedule(row.status) && !editing && (
          <BusyButton type="button" class="secondary" busy={busy} onClick={() => setEditing(true)}>
            Reschedule
          </BusyButton>
        )}
        {can.noShow(row.status) && (
          <BusyButton type="button" class="secondary" busy={busy} onClick={() => setConfirm('no_show')}>
            No-show
          </BusyButton>
        )}
        {can.cancel(row.status) && (
          <BusyButton type="button" class="danger" busy={busy} onClick={() => setConfirm('cancel')}>
            Cancel appointment
          </BusyButton>
        )}
      </div>
      <FormError message={error} />
      <History row={row} />
      {editing && can.reschedule(row.status) && (
        <RescheduleForm row={row} providers={props.providers} onDone={(m) => (setEditing(false), focusAfterRender(heading), m && props.onMoved(m))} />
      )}
      {confirm === 'cancel' && (
        <Confirm
          title="Cancel this appointment?"
          message={`${row.patientName}, ${hhmm(start.minutes)}${clock.zoneNoteAt(row.scheduledAt)} with ${provider?.name ?? 'the provider'}. A cancelled appointment cannot be restored; the slot becomes free.`}
          confirmLabel="Yes, cancel appointment"
          onClose={() => setConfirm(undefined)}
          onConfirm={() => (setConfirm(undefined), void act('cancel', 'appointment cancelled'))}
        />
      )}
      {confirm === 'no_show' && (
        <Confirm
          title="Mark as a no-show?"
          message={`${row.patientName} did not come to the ${hhmm(start.minutes)}${clock.zoneNoteAt(row.scheduledAt)} appointment. This cannot be undone.`}
          confirmLabel="Yes, mark no-show"
          onClose={() => setConfirm(undefined)}
          onConfirm={() => (setConfirm(undefined), void act('noShow', 'marked as no-show'))}
        />
      )}
    </section>
  );
}

function RescheduleForm({ row, providers, onDone }: { row: DayRow; providers: DayProvider[]; onDone(m?: MoveDone): void }) {
  const { api, clock, announce } = useApp();
  const w = clock.wall(row.scheduledAt);
  // A field the person has not touched follows the appointment as it is now (another desk may
  // move it while this form is open), and only what they changed is sent: saving a new time must
  // not put back the provider or length another desk just changed.
  const [edits, setEdits] = useState<{ providerId?: number; date?: string; start?: string; duration?: number }>({});
  const providerId = edits.providerId ?? row.providerId;
  const date = edits.date ?? w.date;
  const start = edits.start ?? hhmm(w.minutes);
  const duration = edits.duration ?? row.durationMin;
  const setProviderId = (v: number) => setEdits((e) => ({ ...e, providerId: v }));
  const setDate = (v: string) => setEdits((e) => ({ ...e, date: v }));
  const setStart = (v: string) => setEdits((e) => ({ ...e, start: v }));
  const setDuration = (v: number) => setEdits((e) => ({ ...e, duration: v }));
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  // Opened from its Reschedule button, which it replaces: the focus starts in it.
  const first = useRef<HTMLSelectElement>(null);
  useEffect(() => first.current?.focus(), []);
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    if (!/^\d{2}:\d{2}$/.test(start)) return setError('Give the start time as HH:MM.');
    // Nothing changed: nothing to send (as Keep current time).
    if (Object.keys(edits).length === 0) return onDone();
    setBusy(true);
    try {
      const after = await api.reschedule(row.appointmentId, {
        ...(edits.date !== undefined || edits.start !== undefined ? { scheduledAt: clock.instant(date, toMinutes(start)) } : {}),
        ...(edits.duration !== undefined ? { durationMin: duration } : {}),
        ...(edits.providerId !== undefined ? { providerId } : {}),
      });
      const text = `Moved ${row.patientName} to ${start}${clock.zoneNoteOn(date)}${date !== w.date ? ` on ${clock.longDate(date)}` : ''}.`;
      announce(text);
      onDone(moveDone(api, row, after, text, date !== w.date ? date : undefined));
    } catch (err) {
      setBusy(false);
      setError(err instanceof ApiError ? err.message : describeError(err));
    }
  };
  return (
    <form class="reschedule" onSubmit={submit} aria-label="Reschedule">
      <h3>Reschedule</h3>
      <label>
        New provider
        <select ref={first} value={String(providerId)} onChange={(e) => setProviderId(Number(e.currentTarget.value))}>
          {providers.map((p) => (
            <option key={p.providerId} value={String(p.providerId)}>
              {p.name}
            </option>
          ))}
        </select>
      </label>
      <div class="row2">
        <label>
          New date
          <input type="date" value={date} onInput={(e) => setDate(e.currentTarget.value)} />
        </label>
        <label>
          New start time{clock.zoneNoteOn(date)}
          <input type="time" step={clock.slotMinutes * 60} value={start} onInput={(e) => setStart(e.currentTarget.value)} />
        </label>
      </div>
      <DurationField label="New duration" value={duration} keep={row.durationMin} onChange={setDuration} />
      <FormError message={error} />
      <div class="actions">
        <BusyButton type="submit" busy={busy}>
          Save new time
        </BusyButton>
        <button type="button" class="secondary" onClick={() => onDone()}>
          Keep current time
        </button>
      </div>
    </form>
  );
}

const KIND_LABEL: Record<string, string> = {
  booked: 'Booked',
  rescheduled: 'Rescheduled',
  checked_in: 'Checked in',
  cancelled: 'Cancelled',
  no_show: 'Marked no-show',
  completed: 'Completed',
};

/** Who changed what, when (clinic time); reloaded whenever the appointment changes. */
function History({ row }: { row: DayRow }) {
  const { api, clock } = useApp();
  const history = useResource((signal) => api.history(row.appointmentId, { signal }), [row.appointmentId, row.updatedAt]);
  return (
    <section class="history" aria-labelledby="history-title">
      <h3 id="history-title">History</h3>
      {history.status === 'error' ? (
        <ErrorView error={history.error} retry={history.reload} what="The history could not be loaded." />
      ) : !history.data ? (
        <Loading label="Loading history…" />
      ) : history.data.length === 0 ? (
        <p class="hint">No changes recorded.</p>
      ) : (
        <ol class="feed">
          {history.data.map((h, i) => (
            <li key={i}>
              <strong>{KIND_LABEL[h.kind] ?? h.kind}</strong> · {clock.wall(h.at).date} {clock.timeLabelled(h.at)} · {h.by ?? 'system'}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
