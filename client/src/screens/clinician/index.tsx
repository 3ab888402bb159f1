/**
 * PLACEHOLDER clinician screen (a port of the previous dashboard; the clinician's own
 * screen replaces it): arrivals as they check in, and the clinician's day, live.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { useApp } from '../../components/context.js';
import { Empty, ErrorView } from '../../components/states.js';
import { ScheduleWatch } from '../../lib/schedule-watch.js';
import type { AppointmentArrived, ScheduleChanged } from '../../../../shared/events.js';

const STATUS_LABEL: Record<string, string> = { scheduled: 'Scheduled', checked_in: 'Checked in', completed: 'Completed', no_show: 'No-show', cancelled: 'Cancelled' };

export default function ClinicianScreen() {
  const { me, live, clock, announce } = useApp();
  const today = clock.today();
  const [, setVersion] = useState(0);
  const watch = useMemo(
    () => (me.providerId === null ? undefined : new ScheduleWatch(live.socket, me.providerId, today, () => (live.touch(), setVersion((v) => v + 1)))),
    [live, me, today],
  );
  useEffect(() => () => watch?.stop(), [watch]);
  const [arrivals, setArrivals] = useState<AppointmentArrived[]>([]);
  useEffect(() => {
    const onArrived = (a: AppointmentArrived) => {
      setArrivals((list) => [a, ...list]);
      announce(`${a.patientName} has arrived for ${clock.timeLabelled(a.scheduledAt)}`);
    };
    // A name corrected or erased later replaces the one shown.
    const onChanged = (e: ScheduleChanged) => {
      const a = e.appointment;
      if ('removed' in a) return;
      setArrivals((list) => list.map((x) => (x.appointmentId === a.appointmentId ? { ...x, patientName: a.patientName } : x)));
    };
    live.socket.on('appointment:arrived', onArrived);
    live.socket.on('schedule:changed', onChanged);
    return () => {
      live.socket.off('appointment:arrived', onArrived);
      live.socket.off('schedule:changed', onChanged);
    };
  }, [live, clock, announce]);
  if (!watch) return <Empty>Your account is not linked to a provider.</Empty>;
  const rows = watch.list();
  return (
    <div class="stack">
      <section class="card">
        <h2>Arrivals</h2>
        {arrivals.length === 0 ? (
          <Empty>Nobody has checked in yet.</Empty>
        ) : (
          <ul class="feed">
            {arrivals.map((a) => (
              <li key={a.appointmentId}>
                <strong>{a.patientName}</strong> has arrived for {clock.time(a.scheduledAt)}
              </li>
            ))}
          </ul>
        )}
      </section>
      <section class="card">
        <h2>Your day · {clock.longDate(today)}</h2>
        {watch.state === 'refused' && <ErrorView error={new Error('Your schedule could not be loaded.')} />}
        <table>
          <thead>
            <tr>
              <th>Time</th>
              <th>Length</th>
              <th>Patient</th>
              <th>Status</th>
            </tr>
          </thead>
          <tbody>
            {rows.length === 0 ? (
              <tr>
                <td colSpan={4} class="empty">
                  No appointments.
                </td>
              </tr>
            ) : (
              rows.map((a) => (
                <tr key={a.appointmentId}>
                  <td>{clock.time(a.scheduledAt)}</td>
                  <td>{a.durationMin} min</td>
                  <td>{a.patientName}</td>
                  <td>
                    <span class={`status ${a.status}`}>{STATUS_LABEL[a.status]}</span>
                  </td>
                </tr>
              ))
            )}
          </tbody>
        </table>
      </section>
    </div>
  );
}
