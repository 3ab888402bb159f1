/**
 * The clinician's screen: my day for any date (previous/next, a date picker, in clinic
 * time), each appointment with status, arrival time and wait; arrivals announced the moment
 * the front desk checks a patient in (an aria-live region, optionally a browser notification
 * and a short sound) and the waiting list, longest wait first; the patient panel and the
 * complete-visit form; break-the-glass with a reason, a time limit and a banner while in force.
 * The day is the REST schedule (it carries checkedInAt), reloaded on
 * every live change of that day (schedule:watch), so it stays equal to the database.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { useApp } from '../../components/context.js';
import { useFocusAfterRender } from '../../components/focus.js';
import { Empty, ErrorView, Loading, useResource } from '../../components/states.js';
import { ScheduleWatch, type WatchState } from '../../lib/schedule-watch.js';
import { EVENT_WORDS } from '../../lib/live.js';
import { addDays } from '../../lib/clock.js';
import { screensApi } from '../../lib/screens-api.js';
import type { AppointmentArrived } from '../../../../shared/events.js';
import type { ScheduleEntry } from '../../../../shared/api-types.js';
import { PatientPanel } from './panel.js';
import { CompleteVisit } from './complete-visit.js';
import { BreakGlassBanners, BreakGlassForm } from './break-glass.js';
import '../screens.css';
import { APPOINTMENT_STATUS_LABELS } from '../../../../shared/vocabulary.js';
import { ColumnHeads } from '../../components/column-heads.js';
import { FocusKeepingButton } from '../../components/busy-button.js';
import { useDateInUrl } from '../../lib/url-date.js';

const STATUS_LABEL: Record<string, string> = APPOINTMENT_STATUS_LABELS;

const minutesBetween = (from: string, now: number) => Math.max(0, Math.floor((now - Date.parse(from)) / 60_000));

/** A short two-tone chime (Web Audio), only when the clinician turned sound on. */
function chime(): void {
  try {
    const Ctx = window.AudioContext ?? (window as unknown as { webkitAudioContext?: typeof AudioContext }).webkitAudioContext;
    if (!Ctx) return;
    const ctx = new Ctx();
    [660, 880].forEach((f, i) => {
      const o = ctx.createOscillator();
      const g = ctx.createGain();
      o.frequency.value = f;
      g.gain.value = 0.08;
      o.connect(g).connect(ctx.destination);
      o.start(ctx.currentTime + i * 0.18);
      o.stop(ctx.currentTime + i * 0.18 + 0.15);
    });
    setTimeout(() => void ctx.close(), 800);
  } catch {
    // Sound is a nicety; the visible and announced notice is what counts.
  }
}

export default function ClinicianScreen() {
  const { me, api, live, clock, announce } = useApp();
  const sapi = useMemo(() => screensApi(api), [api]);
  const providerId = me.providerId;
  const today = clock.today();
  // In the address, as the front desk's: signing in again after the session ended comes back to this day.
  const [date, setDate] = useDateInUrl(today);
  const [version, setVersion] = useState(0);
  const [now, setNow] = useState(clock.now());
  const [notice, setNotice] = useState('');
  const [desktop, setDesktop] = useState(false);
  const [sound, setSound] = useState(false);
  const [permission, setPermission] = useState<string>(typeof Notification === 'undefined' ? 'unsupported' : Notification.permission);
  const [panelFor, setPanelFor] = useState<{ patientId: number; name: string }>();
  const [completing, setCompleting] = useState<ScheduleEntry>();

  useEffect(() => {
    const t = setInterval(() => setNow(clock.now()), 30_000);
    return () => clearInterval(t);
  }, [clock]);

  const [grantsVersion, setGrantsVersion] = useState(0);
  const grants = useResource((signal) => sapi.grants({ signal }), [grantsVersion]);
  // A reload caused by a push is the page's own doing: it must not keep the session alive.
  const pushed = useRef(false);
  const day = useResource(
    (signal) => {
      const background = pushed.current;
      pushed.current = false;
      return providerId === null ? Promise.resolve([]) : sapi.schedule(providerId, date, { signal, background });
    },
    [providerId, date, version],
    // The rows on screen are this day's: while another day loads, or after its load failed, the
    // last day's rows are not shown under this day's heading (a live reload of this day keeps them).
    date,
  );
  const shown = day.current;

  // The day table: a chart opened after a completed visit gives the focus back to its patient there.
  const dayTable = useRef<HTMLTableElement>(null);
  const focusAfterRender = useFocusAfterRender();

  // Live: any change to the shown day reloads it (one small GET). A refused or unanswered
  // watch says so, with Retry, instead of leaving the day still under a "Live" badge.
  const watch = useRef<ScheduleWatch | undefined>(undefined);
  const [watchError, setWatchError] = useState<string>();
  useEffect(() => {
    if (providerId === null) return;
    /** The watch's state before this change: a watch that goes live only after a refusal or a disconnect has missed what changed meanwhile. */
    let before: WatchState = 'loading';
    const w = new ScheduleWatch(live.socket, providerId, date, (_w, e) => {
      const was = before;
      before = _w.state;
      setWatchError(_w.error);
      if (_w.error) return;
      live.touch();
      // Said as well as shown: her day changed elsewhere (an arrival has its own notice, and she completes visits herself).
      if (e && e.kind !== 'checked_in' && e.kind !== 'completed') {
        announce('removed' in e.appointment ? 'An appointment moved off this day.' : `${e.appointment.patientName}, ${clock.timeLabelled(e.appointment.scheduledAt)}: ${EVENT_WORDS[e.kind]}.`);
      }
      if (e || _w.state === 'snapshot' || _w.state === 'resumed' || (_w.state === 'live' && was !== 'loading' && was !== 'live')) {
        pushed.current = true;
        setVersion((v) => v + 1);
      }
    });
    watch.current = w;
    return () => {
      w.stop();
      setWatchError(undefined);
    };
  }, [live, providerId, date, announce, clock]);

  useEffect(() => {
    const onArrived = (a: AppointmentArrived) => {
      const text = `${a.patientName} has checked in for ${clock.timeLabelled(a.scheduledAt)} (arrived ${clock.timeLabelled(clock.now())}).`;
      // The notice is a polite live region itself: announcing it too would say it twice.
      setNotice(text);
      pushed.current = true;
      setVersion((v) => v + 1);
      setNow(clock.now());
      if (desktop && typeof Notification !== 'undefined' && Notification.permission === 'granted') {
        new Notification('Patient arrived', { body: text, tag: `arrival-${a.appointmentId}` });
      }
      if (sound) chime();
    };
    live.socket.on('appointment:arrived', onArrived);
    return () => void live.socket.off('appointment:arrived', onArrived);
  }, [live, clock, desktop, sound]);

  if (providerId === null) return <Empty>Your account is not linked to a provider.</Empty>;
  const rows = shown ?? [];
  const waiting = rows
    .filter((a) => a.status === 'checked_in')
    .sort((a, b) => (a.checkedInAt ?? a.scheduledAt).localeCompare(b.checkedInAt ?? b.scheduledAt));

  return (
    <div class="wide-stack">
      {grants.status === 'error' && <ErrorView error={grants.error} retry={grants.reload} what="Your emergency access grants could not be loaded." />}
      <BreakGlassBanners grants={grants.data ?? []} now={now} onOpen={(g) => setPanelFor({ patientId: g.patientId, name: g.patientName })} />
      <section class="card" aria-labelledby="arrivals-h">
        <h2 id="arrivals-h">Arrivals</h2>
        <div class="notice-live" role="status" aria-live="polite" aria-label="Arrival notifications">
          {notice}
        </div>
        <div class="toolbar">
          <label class="row">
            <input
              type="checkbox"
              checked={desktop}
              disabled={permission === 'unsupported' || permission === 'denied'}
              onChange={async (e) => {
                const on = e.currentTarget.checked;
                if (on && typeof Notification !== 'undefined' && Notification.permission === 'default') {
                  setPermission(await Notification.requestPermission());
                }
                setDesktop(on);
              }}
            />{' '}
            Desktop notification on arrival{permission === 'denied' ? ' (blocked in this browser)' : ''}
          </label>
          <label class="row">
            <input type="checkbox" checked={sound} onChange={(e) => setSound(e.currentTarget.checked)} /> Sound on arrival
          </label>
        </div>
        <h3 id="waiting-h">Waiting now, longest first</h3>
        {date !== today && <p class="hint">The waiting list is today's; you are looking at {clock.longDate(date)}.</p>}
        {date === today && !shown && day.status === 'error' && <p class="hint">The waiting list is unavailable until your day loads.</p>}
        {date === today && !shown && day.status === 'loading' && <Loading label="Loading the waiting list…" />}
        {date === today && shown && waiting.length === 0 && <Empty>Nobody is waiting.</Empty>}
        {date === today && waiting.length > 0 && (
          <ol aria-labelledby="waiting-h">
            {waiting.map((a) => (
              <li key={a.appointmentId}>
                <strong>{a.patientName}</strong> — booked {clock.timeLabelled(a.scheduledAt)}
                {a.checkedInAt ? `, arrived ${clock.timeLabelled(a.checkedInAt)}, waiting ${minutesBetween(a.checkedInAt, now)} min` : ', arrival time not recorded'}
              </li>
            ))}
          </ol>
        )}
      </section>

      <section class="card" aria-labelledby="day-h">
        <h2 id="day-h">My day · {clock.longDate(date)}</h2>
        <div class="toolbar">
          <button type="button" class="secondary" onClick={() => setDate((d) => addDays(d, -1))}>
            Previous day
          </button>
          <label>
            Date
            <input type="date" value={date} onChange={(e) => e.currentTarget.value && setDate(e.currentTarget.value)} />
          </label>
          <button type="button" class="secondary" onClick={() => setDate((d) => addDays(d, 1))}>
            Next day
          </button>
          {/* Pressing it leaves it with nothing to do: it keeps the focus. */}
          <FocusKeepingButton type="button" class="secondary" off={date === today} onClick={() => setDate(today)}>
            Today
          </FocusKeepingButton>
          <span class="stamp">Times in clinic time ({clock.zoneOn(date)}).</span>
        </div>
        {watchError && <ErrorView error={new Error(watchError)} what="Live updates are paused." retry={() => watch.current?.retry()} />}
        {day.status === 'error' && <ErrorView error={day.error} retry={day.reload} what="Your day could not be loaded." />}
        {day.status === 'loading' && !shown && <Loading />}
        {shown && (
          <div class="table-wrap">
            <table ref={dayTable}>
              <caption class="visually-hidden">Appointments on {clock.longDate(date)}</caption>
              <ColumnHeads names={['Time', 'Patient', 'Length', 'Status', 'Arrived', 'Wait', 'Action']} />
              <tbody>
                {rows.length === 0 ? (
                  <tr>
                    <td colSpan={7} class="empty">
                      No appointments on this day.
                    </td>
                  </tr>
                ) : (
                  rows.map((a) => (
                    <tr key={a.appointmentId}>
                      <td>{clock.time(a.scheduledAt)}</td>
                      <td>
                        <button type="button" class="link" data-patient={a.patientId} onClick={() => setPanelFor({ patientId: a.patientId, name: a.patientName })}>
                          {a.patientName}
                        </button>
                      </td>
                      <td>{a.durationMin} min</td>
                      <td>
                        <span class={`status ${a.status}`}>{STATUS_LABEL[a.status]}</span>
                      </td>
                      <td>{a.checkedInAt ? clock.time(a.checkedInAt) : '—'}</td>
                      <td>{a.status === 'checked_in' && a.checkedInAt ? `${minutesBetween(a.checkedInAt, now)} min` : '—'}</td>
                      <td>
                        {a.status === 'checked_in' && (
                          <button type="button" aria-label={`Complete visit: ${a.patientName}`} onClick={() => setCompleting(a)}>
                            Complete visit
                          </button>
                        )}
                      </td>
                    </tr>
                  ))
                )}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <BreakGlassForm onGranted={() => (setGrantsVersion((v) => v + 1), setNow(clock.now()))} />
      {panelFor && (
        <PatientPanel
          patientId={panelFor.patientId}
          name={panelFor.name}
          onClose={() => {
            setPanelFor(undefined);
            // Opened after a completed visit, its opener (Complete visit) is gone: the focus goes to the
            // patient's row, once the dialog has closed (closing it puts the focus back on its opener).
            focusAfterRender({ current: dayTable.current?.querySelector<HTMLElement>(`button[data-patient="${panelFor.patientId}"]`) ?? null });
          }}
        />
      )}
      {completing && (
        <CompleteVisit
          appointment={completing}
          onClose={() => setCompleting(undefined)}
          onDone={() => {
            const a = completing;
            setCompleting(undefined);
            announce(`Visit with ${a.patientName} completed.`);
            setNotice(`Visit with ${a.patientName} completed and saved.`);
            setVersion((v) => v + 1);
            setPanelFor({ patientId: a.patientId, name: a.patientName });
          }}
        />
      )}
    </div>
  );
}
