/**
 * The front desk's workstation: the live day grid of every provider, find/register and
 * book, the appointment panel (check in, cancel, no-show, reschedule with Undo), the
 * waiting room, and a week view of one provider. The shown day lives in the URL (?date=),
 * so a reload or a sign-in after a 401 returns to it; filters are remembered per browser
 * (no patient data is stored).
 */
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { useApp } from '../../components/context.js';
import { Dialog } from '../../components/dialog.js';
import { ErrorView, Loading, Empty } from '../../components/states.js';
import { addDays, hhmm } from '../../lib/clock.js';
import { ApiError, describeError } from '../../lib/api.js';
import type { DayRow } from '../../lib/live.js';
import type { DayProvider } from '../../../../shared/api-types.js';
import { DayGrid, openingMinutes, type GridPlace, type SlotMark } from './day-grid.js';
import { BookingForm, type BookingDraft } from './booking-form.js';
import { AppointmentPanel, moveDone, type MoveDone } from './appointment-panel.js';
import { WaitingRoom } from './waiting-room.js';
import { WeekView } from './week-view.js';
import { WaitlistPanel } from './waitlist-panel.js';
import { dayRows, useClinicDay } from './use-clinic-day.js';
import { FilterSelect } from '../../components/options.js';
import { useDateInUrl } from '../../lib/url-date.js';

const PREFS_KEY = 'clinicpulse.frontdesk.prefs';
/** The hidden grid's rows while another day loads: none of the old day's. */
const NO_ROWS: DayRow[] = [];
interface Prefs {
  specialty: string;
  showCancelled: boolean;
  view?: 'day' | 'week';
  /** Provider ids chosen to show (empty: all). Ids only: nothing about patients is stored. */
  chosen?: number[];
}
function loadPrefs(): Prefs {
  try {
    return { specialty: '', showCancelled: false, ...(JSON.parse(localStorage.getItem(PREFS_KEY) ?? '{}') as Partial<Prefs>) };
  } catch {
    return { specialty: '', showCancelled: false };
  }
}

export default function FrontDeskScreen() {
  const { api, clock, announce } = useApp();
  const today = clock.today();
  const [date, setDate] = useDateInUrl(today);
  const [prefs, setPrefs] = useState(loadPrefs);
  const [draft, setDraft] = useState<BookingDraft>();
  const [openId, setOpenId] = useState<number>();
  const [mark, setMark] = useState<SlotMark>();
  const [undo, setUndo] = useState<MoveDone>();
  const [moveError, setMoveError] = useState<string>();
  /** An appointment being opened on a day still loading (after a booking or a pick elsewhere). */
  const [opening, setOpening] = useState<number>();
  const [scrollTo, setScrollTo] = useState<{ minutes: number; nonce: number }>();

  useEffect(() => localStorage.setItem(PREFS_KEY, JSON.stringify(prefs)), [prefs]);
  // What takes the keyboard focus back to the grid's active cell when the panel, form or Undo it was in goes away.
  const [gridFocus, setGridFocus] = useState<{ n: number; at?: GridPlace }>({ n: 0 });
  const backToGrid = (at?: GridPlace) => setGridFocus((f) => ({ n: f.n + 1, at }));
  const undoButton = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (!undo) return;
    const t = setTimeout(() => {
      if (document.activeElement === undoButton.current) backToGrid();
      setUndo(undefined);
    }, 8000);
    return () => clearTimeout(t);
  }, [undo]);

  const day = useClinicDay(date);
  // What was loaded for another day is not this day's: while the new day loads (or fails)
  // the grid says so instead of showing the previous day's providers.
  // (The week view keeps the last list meanwhile: its providers do not change by the day, and
  // tearing it down would lose the provider chosen for the week.)
  const loaded = day.load.current;
  const shown = loaded ?? (prefs.view === 'week' ? day.load.data : undefined);
  const allProviders = shown?.providers ?? [];
  const specialties = useMemo(() => [...new Set(allProviders.map((p) => p.specialty))].sort(), [allProviders]);
  const providers = useMemo(() => {
    const chosen = new Set(prefs.chosen ?? []);
    return allProviders.filter((p) => (!prefs.specialty || p.specialty === prefs.specialty) && (chosen.size === 0 || chosen.has(p.providerId)));
  }, [allProviders, prefs.specialty, prefs.chosen]);
  // The day grid stays mounted, hidden, while another day loads: the new day then updates its
  // cells in place instead of building ~900 of them again (a remount took the paint of a day
  // switch from ~15 ms to well over 100). Hidden, it shows nothing of the old day to anyone.
  const keptProviders = useRef<DayProvider[]>([]);
  if (shown) keptProviders.current = providers;
  const gridProviders = shown ? providers : keptProviders.current;
  const [choosing, setChoosing] = useState(false);
  const rowsMap = day.watch.rows.value;
  const rows = useMemo(() => dayRows(rowsMap, prefs.showCancelled), [rowsMap, prefs.showCancelled]);
  const liveRows = useMemo(() => dayRows(rowsMap, false), [rowsMap]);
  const openRow = openId !== undefined ? rowsMap.get(openId) : undefined;
  useEffect(() => {
    if (opening === undefined) return;
    if (openRow) return setOpening(undefined);
    // Give the day's live watch 5 s once the day is loaded, however long the load took.
    if (!loaded) return;
    const t = setTimeout(() => setOpening(undefined), 5000);
    return () => clearTimeout(t);
  }, [opening, openRow, loaded]);

  // First paint of a day: scroll to now (today) or to the earliest working hour, once per day
  // shown. A layout effect, so the grid is in place before the first key can reach it (a
  // passive effect ran up to a frame later on a busy machine and moved the active cell back
  // under keys already pressed).
  const scrolledFor = useRef<string | undefined>(undefined);
  useLayoutEffect(() => {
    if (!loaded || scrolledFor.current === date) return;
    scrolledFor.current = date;
    setScrollTo({ minutes: openingMinutes(allProviders, date === today, clock), nonce: Date.now() });
  }, [loaded, date]);

  /** Show another day. An open booking form stays as typed (its own date is its own). */
  const go = (d: string, opts: { quiet?: boolean } = {}) => {
    setDate(d);
    setOpenId(undefined);
    setMark(undefined);
    if (!opts.quiet) announce(`Showing ${clock.longDate(d)}.`, 'polite', 'day-shown');
  };
  /**
   * Open an appointment of day `d`, going to that day first if another is shown (quietly:
   * what led here, e.g. "Booked …", was just announced and must not be talked over).
   */
  const openOn = (id: number, d: string) => {
    if (d !== date) go(d, { quiet: true });
    setDraft(undefined);
    setOpenId(id);
    setOpening(id);
  };
  const jumpToNow = () => {
    if (date !== today) go(today);
    setScrollTo({ minutes: clock.wall(clock.now()).minutes, nonce: Date.now() });
  };
  /** A move the grid dropped, or this screen refused, because another desk changed the appointment meanwhile. */
  const moveInterrupted = (row: DayRow) => {
    const text = `${row.patientName} was not moved: another desk changed this appointment while you were moving it. The grid shows it as it is now.`;
    setMoveError(text);
    announce(text, 'assertive');
  };
  /** A block moved on the grid (keyboard or drag): same conflict handling as booking, then Undo. */
  const moveAppointment = async (row: DayRow, to: { providerId: number; minutes: number; durationMin: number }) => {
    setMoveError(undefined);
    setMark(undefined);
    // `row` is the appointment as it was when the gesture began (M, or the drag). If another desk
    // changed it since (moved, cancelled), saving would overwrite that without anyone seeing it:
    // the grid already shows the change, so say so and save nothing.
    if (day.watch.rows.value.get(row.appointmentId)?.updatedAt !== row.updatedAt) return moveInterrupted(row);
    try {
      const after = await api.reschedule(row.appointmentId, { scheduledAt: clock.instant(date, to.minutes), durationMin: to.durationMin, providerId: to.providerId });
      const text = `Moved ${row.patientName} to ${hhmm(to.minutes)}–${hhmm(to.minutes + to.durationMin)}${clock.zoneNoteOn(date)}.`;
      announce(text);
      setUndo(moveDone(api, row, after, text));
    } catch (err) {
      const message = describeError(err);
      setMoveError(`${row.patientName} was not moved: ${message}`);
      announce(`${row.patientName} was not moved: ${message}`, 'assertive');
      if (err instanceof ApiError && err.status === 409) setMark({ providerId: to.providerId, minutes: to.minutes, text: 'Conflict' });
    }
  };
  const openAppointment = (r: DayRow) => {
    setDraft(undefined);
    setOpenId(r.appointmentId);
  };

  const side = draft ? (
    <BookingForm
      draft={draft}
      providers={allProviders}
      rows={liveRows}
      shownDate={date}
      onMark={(m) => {
        setMark(m);
        // Bring the slot in conflict into view, an hour of context above it.
        if (m) setScrollTo({ minutes: Math.max(0, m.minutes - 60), nonce: Date.now() });
      }}
      onClose={() => (setDraft(undefined), setMark(undefined), backToGrid())}
      onBooked={(id, d) => {
        setMark(undefined);
        openOn(id, d);
      }}
    />
  ) : openRow ? (
    <AppointmentPanel
      key={openRow.appointmentId}
      row={openRow}
      providers={allProviders}
      onClose={() => (setOpenId(undefined), backToGrid())}
      onMoved={(m) => {
        setUndo(m);
        // Moved to another day: the screen goes with it (as after booking one there), its panel open there.
        if (m.movedTo) openOn(openRow.appointmentId, m.movedTo);
      }}
    />
  ) : openId !== undefined && opening === openId ? (
    <section class="side-form">
      <Loading label="Opening the appointment…" />
    </section>
  ) : openId !== undefined ? (
    <Gone date={clock.longDate(date)} onClose={() => (setOpenId(undefined), backToGrid())} />
  ) : null;

  return (
    <div class="frontdesk">
      <div class="toolbar" role="toolbar" aria-label="Day">
        <h1 class="day-title">{clock.longDate(date)}</h1>
        <button type="button" class="secondary" onClick={() => go(addDays(date, -1))}>
          Previous day
        </button>
        <label class="inline">
          Date
          <input type="date" value={date} onChange={(e) => e.currentTarget.value && go(e.currentTarget.value)} />
        </label>
        <button type="button" class="secondary" onClick={() => go(addDays(date, 1))}>
          Next day
        </button>
        <button type="button" class="secondary" onClick={jumpToNow}>
          Jump to now
        </button>
        <FilterSelect class="inline" label="Specialty" any="All providers" values={specialties} value={prefs.specialty} onChange={(specialty) => setPrefs({ ...prefs, specialty })} />
        <button type="button" class="secondary" onClick={() => setChoosing(true)}>
          Choose providers{prefs.chosen?.length ? ` (${prefs.chosen.length})` : ''}
        </button>
        <label class="inline check">
          <input type="checkbox" checked={prefs.showCancelled} onChange={(e) => setPrefs({ ...prefs, showCancelled: e.currentTarget.checked })} />
          Show cancelled
        </label>
        <button
          type="button"
          onClick={() => {
            const first = providers[0];
            if (!first) return;
            const slot = clock.slotMinutes;
            const now = clock.wall(clock.now()).minutes;
            setOpenId(undefined);
            setDraft({ providerId: first.providerId, date, minutes: date === today ? Math.ceil(now / slot) * slot : 9 * 60, durationMin: 30 });
          }}
        >
          New appointment
        </button>
        <div class="seg" role="group" aria-label="View">
          <button type="button" class={prefs.view !== 'week' ? '' : 'secondary'} aria-pressed={prefs.view !== 'week'} onClick={() => setPrefs({ ...prefs, view: 'day' })}>
            Day
          </button>
          <button type="button" class={prefs.view === 'week' ? '' : 'secondary'} aria-pressed={prefs.view === 'week'} onClick={() => setPrefs({ ...prefs, view: 'week' })}>
            Week of one provider
          </button>
        </div>
        {clock.browserDiffers && <span class="zone-note">Times are clinic time ({clock.zoneOn(date)})</span>}
      </div>
      {choosing && (
        <ChooseProviders
          providers={allProviders}
          chosen={prefs.chosen ?? []}
          onClose={() => setChoosing(false)}
          onSave={(chosen) => {
            setPrefs({ ...prefs, chosen });
            setChoosing(false);
          }}
        />
      )}
      {undo && (
        <div class="undo" role="status">
          {undo.text}{' '}
          <button
            ref={undoButton}
            type="button"
            onClick={() => {
              const u = undo;
              setUndo(undefined);
              backToGrid(u.back);
              setMoveError(undefined);
              const now = day.watch.rows.value.get(u.appointmentId);
              if (now && !u.versions.includes(now.updatedAt)) {
                const message = 'The move could not be undone: another desk changed this appointment since. The grid shows it as it is now.';
                setMoveError(message);
                announce(message, 'assertive');
                return;
              }
              u.undo().then(
                () => announce('Move undone.'),
                (err: unknown) => {
                  // Someone may have taken the old time meanwhile: say so where it can be read.
                  const message = `The move could not be undone: ${describeError(err)}`;
                  setMoveError(message);
                  announce(message, 'assertive');
                },
              );
            }}
          >
            Undo
          </button>
        </div>
      )}
      {moveError && (
        <p class="field-error" role="alert">
          {moveError}{' '}
          {/* The message goes with its Dismiss: the focus goes back to the grid. */}
          <button type="button" class="secondary" onClick={() => (setMoveError(undefined), setMark(undefined), backToGrid())}>
            Dismiss
          </button>
        </p>
      )}
      <div class={side ? 'desk with-side' : 'desk'}>
        <div class="grid-area">
          {day.load.status === 'error' && !shown ? (
            <ErrorView error={day.load.error} retry={day.load.reload} what={`The schedule for ${clock.longDate(date)} could not be loaded.`} />
          ) : !shown ? (
            <Loading label="Loading the day…" />
          ) : providers.length === 0 ? (
            <Empty>No providers{prefs.specialty ? ` in ${prefs.specialty}` : ''}.</Empty>
          ) : prefs.view === 'week' ? (
            <WeekView
              date={date}
              providers={providers}
              showCancelled={prefs.showCancelled}
              onPick={(d, providerId, minutes, appointmentId) => {
                setPrefs({ ...prefs, view: 'day' });
                if (appointmentId !== undefined) openOn(appointmentId, d);
                else {
                  go(d);
                  if (minutes !== undefined) setDraft({ providerId, date: d, minutes, durationMin: 30 });
                }
              }}
            />
          ) : (
            <>
              {day.watch.error.value && <ErrorView error={new Error(day.watch.error.value)} what="Live updates are paused." retry={() => day.watch.retry()} />}
              {rows.length === 0 && <p class="hint no-appts">No appointments on this day yet. Choose a free time to book.</p>}
            </>
          )}
          {prefs.view !== 'week' && gridProviders.length > 0 && (
            <div hidden={!shown}>
              <DayGrid
                date={date}
                providers={gridProviders}
                rows={shown ? rows : NO_ROWS}
                clock={clock}
                flash={day.flash.value}
                selectedId={openId}
                mark={mark}
                scrollTo={scrollTo}
                onFreeCell={(providerId, minutes) => {
                  setOpenId(undefined);
                  setDraft((d) => ({ providerId, date, minutes, durationMin: d?.durationMin ?? 30 }));
                }}
                onOpen={openAppointment}
                onMove={(row, to) => void moveAppointment(row, to)}
                onMoveInterrupted={moveInterrupted}
                announce={announce}
                refocus={gridFocus}
              />
              <p class="hint">
                Keyboard: arrow keys move between times and providers; Enter books a free time or opens an appointment; on an appointment, M moves it (arrows, Shift+Up/Down for
                its length, Enter saves, Escape cancels). With a mouse, drag an appointment to another time or provider, or its bottom edge to change its length.
              </p>
            </div>
          )}
        </div>
        <aside class="side" aria-label="Details">
          {side}
          {date === today ? <WaitingRoom day={day} onOpen={openAppointment} /> : <TodayWaitingRoom today={today} onOpen={(r) => openOn(r.appointmentId, today)} />}
          <WaitlistPanel
            providers={allProviders}
            date={date}
            onBooked={openOn}
          />
        </aside>
      </div>
    </div>
  );
}

function TodayWaitingRoom({ today, onOpen }: { today: string; onOpen(r: DayRow): void }) {
  const day = useClinicDay(today, { announce: 'arrivals' });
  return <WaitingRoom day={day} onOpen={onOpen} />;
}

/** Pick the providers the grid shows (remembered in this browser); none picked shows all. */
function ChooseProviders(props: { providers: DayProvider[]; chosen: number[]; onSave(ids: number[]): void; onClose(): void }) {
  const [picked, setPicked] = useState(() => new Set(props.chosen));
  const toggle = (id: number) => {
    const next = new Set(picked);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setPicked(next);
  };
  return (
    <Dialog title="Choose providers" onClose={props.onClose}>
      <fieldset class="choose">
        <legend>Providers shown in the grid (none chosen: all)</legend>
        {props.providers.map((p) => (
          <label key={p.providerId} class="check">
            <input type="checkbox" checked={picked.has(p.providerId)} onChange={() => toggle(p.providerId)} />
            {p.name} — {p.specialty}
          </label>
        ))}
      </fieldset>
      <div class="actions">
        <button type="button" onClick={() => props.onSave([...picked])}>
          Show chosen providers
        </button>
        <button type="button" class="secondary" onClick={() => props.onSave([])}>
          Show all providers
        </button>
      </div>
    </Dialog>
  );
}

/**
 * In place of an open appointment that left the day shown (moved or removed at another desk).
 * It replaces the panel the person may have been using: if that took the focus with it, the focus
 * comes here, on the sentence that says what happened.
 */
function Gone({ date, onClose }: { date: string; onClose(): void }) {
  const note = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    if (!document.activeElement || document.activeElement === document.body) note.current?.focus();
  }, []);
  return (
    <section class="side-form">
      <p ref={note} tabIndex={-1}>
        This appointment is no longer on {date}.
      </p>
      <button type="button" class="secondary" onClick={onClose}>
        Close
      </button>
    </section>
  );
}
