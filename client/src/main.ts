/**
 * ClinicPulse dashboard: sign in, then the live screen for your role.
 * - front desk: any provider's day, live (schedule:watch, resumed from its cursor on reconnect);
 * - clinician: their own day, live, plus arrival notices (appointment:arrived);
 * - manager: no-show rate and monthly volume charts from /api/analytics/*, refreshed on analytics:changed;
 * - compliance: the audit entries as they are appended.
 * Plain DOM, no framework; the contract with the server is shared/events.ts.
 */
import { Chart, registerables } from 'chart.js';
import { api, ApiError, type Me, type Provider } from './api.js';
import { connectLive, ScheduleWatch, type LiveSocket } from './live.js';
import type { AppointmentArrived, AuditAppended, ScheduleChanged } from '../../shared/events.js';
import './style.css';

Chart.register(...registerables);

type Attrs = Record<string, string | ((ev: Event) => void)>;
function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v);
    else el.setAttribute(k, v);
  }
  el.append(...children);
  return el;
}

const app = document.getElementById('app')!;
const today = () => {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
};
const time = (iso: string) => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
const STATUS_LABEL: Record<string, string> = {
  scheduled: 'Scheduled', checked_in: 'Checked in', completed: 'Completed', no_show: 'No-show', cancelled: 'Cancelled',
};

let socket: LiveSocket | undefined;
let teardown: (() => void)[] = [];

function reset(): void {
  for (const t of teardown) t();
  teardown = [];
  socket?.close();
  socket = undefined;
  app.replaceChildren();
}

function showLogin(message?: string): void {
  reset();
  const user = h('input', { name: 'username', autocomplete: 'username', required: '' });
  const pass = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: '' });
  const error = h('p', { class: 'error', role: 'alert' }, message ?? '');
  const form = h('form', {
    class: 'card login',
    onsubmit: async (ev: Event) => {
      ev.preventDefault();
      error.textContent = '';
      try {
        start(await api.login(user.value, pass.value));
      } catch (err) {
        error.textContent = err instanceof ApiError ? err.message : 'Could not reach ClinicPulse.';
      }
    },
  },
  h('h1', {}, 'ClinicPulse'),
  h('label', {}, 'Username', user),
  h('label', {}, 'Password', pass),
  h('button', { type: 'submit' }, 'Sign in'),
  error);
  app.append(form);
  user.focus();
}

function start(me: Me): void {
  reset();
  socket = connectLive();
  const live = h('span', { class: 'badge offline' }, 'connecting');
  const setLive = (text: string, cls: string) => {
    live.textContent = text;
    live.className = `badge ${cls}`;
  };
  socket.on('connect', () => setLive('live', 'live'));
  socket.on('disconnect', async (reason) => {
    setLive('reconnecting', 'offline');
    // The server closes a socket whose session ended: back to sign-in.
    if (reason === 'io server disconnect') {
      try {
        await api.me(true);
        socket?.connect();
      } catch {
        showLogin('Your session ended. Please sign in again.');
      }
    }
  });
  socket.on('connect_error', (err) => {
    if (err.message === 'unauthorized') showLogin('Your session ended. Please sign in again.');
    else setLive('offline', 'offline');
  });

  const header = h('header', {},
    h('strong', {}, 'ClinicPulse'),
    h('span', { class: 'who' }, `${me.username} · ${me.role.replace('_', ' ')}`),
    live,
    h('button', { class: 'link', onclick: async () => { await api.logout().catch(() => undefined); showLogin(); } }, 'Sign out'));
  const main = h('main');
  app.append(header, main);

  if (me.role === 'front_desk') void frontDesk(main, socket);
  else if (me.role === 'clinician' && me.providerId !== null) clinician(main, socket, me.providerId);
  else if (me.role === 'manager') void manager(main, socket);
  else if (me.role === 'compliance') compliance(main, socket);
  else main.append(h('p', { class: 'card' }, 'Nothing is pushed live to your role. Use the API reference at ', h('a', { href: '/api/docs' }, '/api/docs'), '.'));
}

/** A live table of one provider's day. */
function scheduleTable(socket: LiveSocket, providerId: number, date: string, title: string): HTMLElement {
  const body = h('tbody');
  const state = h('span', { class: 'badge' }, 'loading');
  const flash = new Set<number>();
  const render = (w: ScheduleWatch, e?: ScheduleChanged) => {
    if (e) {
      flash.add(e.appointment.appointmentId);
      setTimeout(() => flash.delete(e.appointment.appointmentId), 1500);
    }
    state.textContent = { loading: 'loading', live: 'live', resumed: 'resumed from cursor', snapshot: 'history expired: reloaded', offline: 'offline', refused: 'not allowed' }[w.state];
    state.className = `badge ${w.state === 'offline' || w.state === 'refused' ? 'offline' : 'live'}`;
    const rows = w.list();
    body.replaceChildren(
      ...(rows.length
        ? rows.map((a) =>
            h('tr', { class: flash.has(a.appointmentId) ? 'flash' : '' },
              h('td', {}, time(a.scheduledAt)),
              h('td', {}, `${a.durationMin} min`),
              h('td', {}, a.patientName),
              h('td', {}, h('span', { class: `status ${a.status}` }, STATUS_LABEL[a.status] ?? a.status))))
        : [h('tr', {}, h('td', { colspan: '4', class: 'empty' }, 'No appointments.'))]),
    );
  };
  const watch = new ScheduleWatch(socket, providerId, date, render);
  teardown.push(() => watch.stop());
  return h('section', { class: 'card' },
    h('h2', {}, title, ' ', state),
    h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'Time'), h('th', {}, 'Length'), h('th', {}, 'Patient'), h('th', {}, 'Status'))), body));
}

async function frontDesk(main: HTMLElement, socket: LiveSocket): Promise<void> {
  const providers: Provider[] = await api.providers();
  const select = h('select', { name: 'provider' }, ...providers.map((p) => h('option', { value: String(p.providerId) }, `${p.name} — ${p.specialty}`)));
  const date = h('input', { type: 'date', value: today() });
  const slot = h('div');
  let stopCurrent: (() => void) | undefined;
  const show = () => {
    stopCurrent?.();
    const before = teardown.length;
    const p = providers.find((x) => x.providerId === Number(select.value));
    slot.replaceChildren(scheduleTable(socket, Number(select.value), date.value, `${p?.name ?? 'Provider'} · ${date.value}`));
    const mine = teardown.splice(before);
    stopCurrent = () => mine.forEach((t) => t());
  };
  teardown.push(() => stopCurrent?.());
  select.addEventListener('change', show);
  date.addEventListener('change', show);
  main.append(h('div', { class: 'controls' }, h('label', {}, 'Provider ', select), h('label', {}, 'Day ', date)), slot);
  if (providers.length) show();
}

function clinician(main: HTMLElement, socket: LiveSocket, providerId: number): void {
  const arrivals = h('ul', { class: 'feed' }, h('li', { class: 'empty' }, 'Nobody has checked in yet.'));
  const arrivedNames = new Map<number, HTMLElement>();
  socket.on('appointment:arrived', (a: AppointmentArrived) => {
    arrivals.querySelector('.empty')?.remove();
    const name = h('strong', {}, a.patientName);
    arrivedNames.set(a.appointmentId, name);
    arrivals.prepend(h('li', { class: 'flash' }, name, ` has arrived for ${time(a.scheduledAt)}`));
  });
  // A name corrected or erased later (patient_updated, or any later row) replaces the one shown here.
  socket.on('schedule:changed', (e: ScheduleChanged) => {
    const a = e.appointment;
    if ('removed' in a) return;
    const name = arrivedNames.get(a.appointmentId);
    if (name) name.textContent = a.patientName;
  });
  main.append(
    h('section', { class: 'card' }, h('h2', {}, 'Arrivals'), arrivals),
    scheduleTable(socket, providerId, today(), `Your day · ${today()}`),
  );
}

async function manager(main: HTMLElement, socket: LiveSocket): Promise<void> {
  const now = new Date();
  const month = (offset: number) => {
    const d = new Date(now.getFullYear(), now.getMonth() + offset, 1);
    return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}`;
  };
  const from = month(-11);
  const to = month(1);
  const months = Array.from({ length: 13 }, (_, i) => month(i - 11));
  const rateCanvas = h('canvas', { 'aria-label': 'No-show rate by month' });
  const volumeCanvas = h('canvas', { 'aria-label': 'Appointments by month' });
  const stamp = h('span', { class: 'badge live' }, 'loading');
  main.append(
    h('section', { class: 'card' }, h('h2', {}, 'No-show rate', ' ', stamp), rateCanvas),
    h('section', { class: 'card' }, h('h2', {}, 'Monthly volume'), volumeCanvas),
  );
  const rateChart = new Chart(rateCanvas, {
    type: 'line',
    data: { labels: months, datasets: [{ label: 'No-show rate (%)', data: [] as (number | null)[], borderColor: '#c0392b', tension: 0.2 }] },
    options: { animation: false, scales: { y: { beginAtZero: true, ticks: { callback: (v) => `${v}%` } } } },
  });
  const volumeChart = new Chart(volumeCanvas, {
    type: 'bar',
    data: { labels: months, datasets: [{ label: 'Appointments (not cancelled)', data: [] as number[], backgroundColor: '#2e86c1' }] },
    options: { animation: false, scales: { y: { beginAtZero: true } } },
  });
  teardown.push(() => rateChart.destroy(), () => volumeChart.destroy());
  // A reload after a push is the dashboard's doing, not the manager's: it does not extend the session.
  const load = async (background = false) => {
    const [rates, volume] = await Promise.all([api.noShowRate(from, to, background), api.volume(from, to, background)]);
    // Clinic-wide per month: no-shows over appointments whose outcome is known.
    rateChart.data.datasets[0]!.data = months.map((m) => {
      const rows = rates.filter((r) => r.month === m);
      const known = rows.reduce((n, r) => n + r.completed + r.noShows, 0);
      return known ? Math.round((10_000 * rows.reduce((n, r) => n + r.noShows, 0)) / known) / 100 : null;
    });
    volumeChart.data.datasets[0]!.data = months.map((m) => volume.filter((r) => r.month === m).reduce((n, r) => n + r.appointments, 0));
    rateChart.update();
    volumeChart.update();
    stamp.textContent = `updated ${new Date().toLocaleTimeString()}`;
  };
  socket.on('analytics:changed', (e) => {
    if (e.months.some((m) => m >= from && m <= to)) void load(true);
  });
  await load();
}

function compliance(main: HTMLElement, socket: LiveSocket): void {
  const feed = h('ul', { class: 'feed' }, h('li', { class: 'empty' }, 'Waiting for audit entries…'));
  socket.on('audit:appended', (a: AuditAppended) => {
    feed.querySelector('.empty')?.remove();
    feed.prepend(h('li', {}, h('code', {}, `#${a.auditId}`), ` ${new Date(a.at).toLocaleTimeString()} · ${a.actorRole} · ${a.action} ${a.table ?? ''}`));
    while (feed.children.length > 200) feed.lastElementChild?.remove();
  });
  main.append(h('section', { class: 'card' }, h('h2', {}, 'Audit log, live'), feed, h('p', { class: 'hint' }, 'The full, filterable log is at GET /api/audit.')));
}

api.me().then(start, () => showLogin());
