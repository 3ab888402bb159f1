/**
 * The manager's analytics: no-show rate and volume per provider and clinic-local month, for a
 * date range (default: the last 12 full months), filtered by specialty and providers, shown
 * clinic-wide or one line per provider. Volume keeps each outcome apart (completed, no-show,
 * cancelled, still scheduled), so future bookings never inflate past work. Every chart has
 * the same numbers as a table beneath it and a CSV of exactly that table. Both charts zoom
 * together to a window of months inside the range (chart.js scale min/max, set by two month
 * pickers and Zoom in / Zoom out / Show all months buttons, so it works from the keyboard);
 * tables and CSVs follow the zoom, so they hold exactly what the charts show. On
 * analytics:changed the data reloads with the person's filters and zoom kept; a stamp says
 * when it was last updated.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { Chart, registerables, type ChartConfiguration } from 'chart.js';
import { useApp } from '../../components/context.js';
import { ErrorView, Loading, useResource } from '../../components/states.js';
import { download, screensApi, toCsv } from '../../lib/screens-api.js';
import type { OutcomeRow } from '../../../../shared/api-types.js';
import '../screens.css';
import { FilterSelect, Options } from '../../components/options.js';
import { ColumnHeads } from '../../components/column-heads.js';
import { FocusKeepingButton } from '../../components/busy-button.js';

Chart.register(...registerables);

const PALETTE = ['#1b4f72', '#b03a2e', '#1e8449', '#7d3c98', '#b9770e', '#117a65', '#5d6d7e', '#a04000', '#2874a6', '#6c3483'];

function shiftMonth(month: string, by: number): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(y, m - 1 + by, 1)).toISOString().slice(0, 7);
}

function monthsBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let m = from; m <= to && out.length < 240; m = shiftMonth(m, 1)) out.push(m);
  return out;
}

const pct = (noShows: number, completed: number) => (noShows + completed === 0 ? null : Math.round((10_000 * noShows) / (noShows + completed)) / 100);

export interface TableModel {
  caption: string;
  header: string[];
  rows: (string | number | null)[][];
}

/** The shown window [first, last] as indexes into `months`: the zoom clamped to the range, or the whole range. */
export function zoomWindow(months: string[], zoom: { from: string; to: string } | undefined): [number, number] {
  const all: [number, number] = [0, months.length - 1];
  if (!zoom || months.length === 0) return all;
  const i = months.findIndex((m) => m >= zoom.from);
  let j = months.length - 1;
  while (j >= 0 && months[j]! > zoom.to) j--;
  return i < 0 || j < 0 || i > j ? all : [i, j];
}

/** A chart.js canvas that is created once and updated in place (filters, zoom and legend state survive a redraw). */
function ChartCanvas({ config, label }: { config: ChartConfiguration; label: string }) {
  const ref = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart | undefined>(undefined);
  useEffect(() => {
    chart.current = new Chart(ref.current!, config);
    return () => chart.current?.destroy();
  }, []);
  useEffect(() => {
    const c = chart.current;
    if (!c) return;
    // Update in place, dataset by label, so what the person hid in the legend stays hidden.
    c.data.labels = config.data.labels;
    const next = config.data.datasets;
    c.data.datasets = next.map((d) => {
      const old = c.data.datasets.find((o) => o.label === d.label);
      return old ? Object.assign(old, d) : d;
    });
    // The zoom is the x scale's min and max (category labels).
    c.options = config.options ?? {};
    c.update();
  }, [config]);
  return (
    <div class="chart-box">
      <canvas ref={ref} role="img" aria-label={label} />
    </div>
  );
}

function DataTable({ model, file }: { model: TableModel; file: string }) {
  return (
    <div>
      <div class="actions">
        <button type="button" class="secondary" onClick={() => download(file, toCsv(model.header, model.rows))}>
          Download CSV: {model.caption}
        </button>
      </div>
      <div class="table-wrap">
        <table>
          <caption>{model.caption}</caption>
          <ColumnHeads names={model.header} />
          <tbody>
            {model.rows.length === 0 ? (
              <tr>
                <td colSpan={model.header.length} class="empty">
                  No appointments for these filters.
                </td>
              </tr>
            ) : (
              model.rows.map((r, i) => (
                <tr key={i}>
                  {r.map((c, j) => (
                    <td key={j}>{c === null ? '—' : String(c)}</td>
                  ))}
                </tr>
              ))
            )}
          </tbody>
        </table>
      </div>
    </div>
  );
}

export default function ManagerScreen() {
  const { api, live, clock } = useApp();
  const sapi = useMemo(() => screensApi(api), [api]);
  const thisMonth = clock.today().slice(0, 7);
  const [from, setFrom] = useState(shiftMonth(thisMonth, -12));
  const [to, setTo] = useState(shiftMonth(thisMonth, -1));
  const [specialty, setSpecialty] = useState('');
  const [picked, setPicked] = useState<number[]>([]);
  const [view, setView] = useState<'clinic' | 'provider'>('clinic');
  const [zoom, setZoom] = useState<{ from: string; to: string }>();
  const [version, setVersion] = useState(0);
  const [stamp, setStamp] = useState<number>();
  // A reload caused by a push is the page's own doing: it must not keep the session alive.
  const pushed = useRef(false);

  const providers = useResource((signal) => api.providers({ signal }), []);
  const specialties = useMemo(() => [...new Set((providers.data ?? []).map((p) => p.specialty))].sort(), [providers.data]);
  const shownProviders = (providers.data ?? []).filter((p) => specialty === '' || p.specialty === specialty);
  const validRange = from !== '' && to !== '' && from <= to;

  // The numbers on screen are for the filters shown: while new filters load, or after their
  // load failed, the last filters' numbers are not shown under them (a live reload keeps them).
  const filterKey = [from, to, specialty, picked.join(',')].join('|');
  const data = useResource(
    async (signal) => {
      if (!validRange) return [] as OutcomeRow[];
      const background = pushed.current;
      pushed.current = false;
      const rows = await sapi.outcomes({ from, to, providerIds: picked, specialty: specialty || undefined }, { signal, background });
      setStamp(clock.now());
      return rows;
    },
    [filterKey, version],
    filterKey,
  );
  const current = data.current;

  useEffect(() => {
    const onChanged = () => {
      live.touch();
      pushed.current = true;
      setVersion((v) => v + 1);
    };
    live.socket.on('analytics:changed', onChanged);
    // Back after a disconnect: a change made meanwhile was pushed to nobody, so redraw (not on the first connect).
    let wasConnected = live.socket.connected;
    const onConnect = () => {
      if (wasConnected) onChanged();
      wasConnected = true;
    };
    live.socket.on('connect', onConnect);
    return () => {
      live.socket.off('analytics:changed', onChanged);
      live.socket.off('connect', onConnect);
    };
  }, [live]);

  const rows = current ?? [];
  const months = validRange ? monthsBetween(from, to) : [];
  const [zi, zj] = zoomWindow(months, zoom);
  const zoomed = months.length > 0 && (zi > 0 || zj < months.length - 1);
  const shown = months.slice(zi, zj + 1);
  const inWindow = (m: string) => shown.includes(m);
  const zoomTo = (i: number, j: number) => setZoom(i <= 0 && j >= months.length - 1 ? undefined : { from: months[i]!, to: months[j]! });
  const byProvider = useMemo(() => {
    const m = new Map<number, { name: string; rows: Map<string, OutcomeRow> }>();
    for (const r of rows) {
      if (!m.has(r.providerId)) m.set(r.providerId, { name: r.providerName, rows: new Map() });
      m.get(r.providerId)!.rows.set(r.month, r);
    }
    return m;
  }, [rows]);
  const total = (month: string) => {
    const t = { completed: 0, noShows: 0, cancelled: 0, scheduled: 0 };
    for (const r of rows) {
      if (r.month !== month) continue;
      t.completed += r.completed;
      t.noShows += r.noShows;
      t.cancelled += r.cancelled;
      t.scheduled += r.scheduled;
    }
    return t;
  };

  const axis = (title: string, extra: object = {}) => ({ title: { display: true, text: title }, ...extra });
  const xZoom = zoomed ? { min: shown[0], max: shown[shown.length - 1] } : {};
  const rateConfig: ChartConfiguration = {
    type: 'line',
    data: {
      labels: months,
      datasets:
        view === 'clinic'
          ? [{ label: 'All selected providers', data: months.map((m) => pct(total(m).noShows, total(m).completed)), borderColor: PALETTE[0], backgroundColor: PALETTE[0], spanGaps: true }]
          : [...byProvider.entries()].map(([, p], i) => ({
              label: p.name,
              data: months.map((m) => {
                const r = p.rows.get(m);
                return r ? pct(r.noShows, r.completed) : null;
              }),
              borderColor: PALETTE[i % PALETTE.length],
              backgroundColor: PALETTE[i % PALETTE.length],
              spanGaps: true,
            })),
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      plugins: { legend: { display: true, position: 'bottom' }, tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${c.parsed.y}%` } } },
      scales: { x: axis('Month (clinic time)', xZoom), y: axis('No-show rate (%)', { beginAtZero: true, ticks: { callback: (v: number | string) => `${v}%` } }) },
    },
  };
  const SERIES = [
    { key: 'completed', label: 'Completed', color: '#1e8449' },
    { key: 'noShows', label: 'No-show', color: '#b03a2e' },
    { key: 'cancelled', label: 'Cancelled', color: '#5d6d7e' },
    { key: 'scheduled', label: 'Scheduled (not yet happened or not closed)', color: '#2874a6' },
  ] as const;
  const volumeConfig: ChartConfiguration = {
    type: 'bar',
    data: { labels: months, datasets: SERIES.map((s) => ({ label: s.label, data: months.map((m) => total(m)[s.key]), backgroundColor: s.color })) },
    options: {
      animation: false,
      maintainAspectRatio: false,
      plugins: { legend: { display: true, position: 'bottom' } },
      scales: { x: axis('Month (clinic time)', { stacked: true, ...xZoom }), y: axis('Appointments', { stacked: true, beginAtZero: true }) },
    },
  };

  const rateTable: TableModel =
    view === 'clinic'
      ? {
          caption: 'No-show rate by month, all selected providers',
          header: ['Month', 'Completed', 'No-shows', 'No-show rate (%)'],
          rows: shown.filter((m) => total(m).completed + total(m).noShows > 0).map((m) => [m, total(m).completed, total(m).noShows, pct(total(m).noShows, total(m).completed)]),
        }
      : {
          caption: 'No-show rate by provider and month',
          header: ['Provider', 'Month', 'Completed', 'No-shows', 'No-show rate (%)'],
          rows: rows.filter((r) => inWindow(r.month) && r.completed + r.noShows > 0).map((r) => [r.providerName, r.month, r.completed, r.noShows, pct(r.noShows, r.completed)]),
        };
  const volumeTable: TableModel =
    view === 'clinic'
      ? {
          caption: 'Appointments by outcome and month, all selected providers',
          header: ['Month', 'Completed', 'No-show', 'Cancelled', 'Scheduled'],
          rows: shown.filter((m) => Object.values(total(m)).some((n) => n > 0)).map((m) => [m, total(m).completed, total(m).noShows, total(m).cancelled, total(m).scheduled]),
        }
      : {
          caption: 'Appointments by outcome, provider and month',
          header: ['Provider', 'Month', 'Completed', 'No-show', 'Cancelled', 'Scheduled'],
          rows: rows.filter((r) => inWindow(r.month)).map((r) => [r.providerName, r.month, r.completed, r.noShows, r.cancelled, r.scheduled]),
        };

  return (
    <div class="wide-stack">
      <section class="card" aria-labelledby="filters-h">
        <h2 id="filters-h">Analytics filters</h2>
        <div class="toolbar">
          <label>
            From month
            <input type="month" value={from} max={to} onChange={(e) => setFrom(e.currentTarget.value)} />
          </label>
          <label>
            To month
            <input type="month" value={to} min={from} onChange={(e) => setTo(e.currentTarget.value)} />
          </label>
          <FilterSelect
            label="Specialty"
            any="All specialties"
            values={specialties}
            value={specialty}
            onChange={(v) => {
              setSpecialty(v);
              setPicked([]);
            }}
          />
          <fieldset class="row">
            <legend>View</legend>
            <label class="row">
              <input type="radio" name="view" checked={view === 'clinic'} onChange={() => setView('clinic')} /> Clinic-wide
            </label>
            <label class="row">
              <input type="radio" name="view" checked={view === 'provider'} onChange={() => setView('provider')} /> One line per provider
            </label>
          </fieldset>
        </div>
        {!validRange && <p class="error" role="alert">The first month must not be after the last.</p>}
        {providers.status === 'error' && <ErrorView error={providers.error} retry={providers.reload} what="The providers to filter by could not be loaded." />}
        <details>
          <summary>Providers ({picked.length === 0 ? `all ${shownProviders.length}` : `${picked.length} selected`})</summary>
          <fieldset>
            <legend>Providers to include (none ticked: all)</legend>
            {shownProviders.map((p) => (
              <label key={p.providerId} class="row">
                <input
                  type="checkbox"
                  checked={picked.includes(p.providerId)}
                  onChange={(e) => {
                    const on = e.currentTarget.checked;
                    setPicked((list) => (on ? [...list, p.providerId] : list.filter((x) => x !== p.providerId)));
                  }}
                />{' '}
                {p.name} ({p.specialty})
              </label>
            ))}
          </fieldset>
        </details>
        <p class="stamp" role="status" aria-label="Data freshness">
          {/* "Updating…" only while new filters load: a live redraw keeps the stamp until its new one, so a screen reader hears one line per update, not two. */}
          {data.status === 'loading' && current === undefined ? 'Updating…' : stamp ? `Data as of ${clock.time(stamp)}:${String(new Date(stamp).getSeconds()).padStart(2, '0')} clinic time${clock.zoneNoteAt(stamp)}; redraws live when appointments change.` : ''}
        </p>
        {months.length > 0 && (
          <fieldset class="toolbar" aria-describedby="zoom-state">
            <legend>Zoom (both charts, their tables and CSVs)</legend>
            <label>
              First month shown
              <select value={shown[0]} onChange={(e) => zoomTo(months.indexOf(e.currentTarget.value), Math.max(zj, months.indexOf(e.currentTarget.value)))}>
                <Options values={months} />
              </select>
            </label>
            <label>
              Last month shown
              <select value={shown[shown.length - 1]} onChange={(e) => zoomTo(Math.min(zi, months.indexOf(e.currentTarget.value)), months.indexOf(e.currentTarget.value))}>
                <Options values={months} />
              </select>
            </label>
            {/* The press that shows all months leaves its own button with nothing to do: it keeps the focus. */}
            <FocusKeepingButton type="button" class="secondary" off={zi === zj} onClick={() => (zj - zi >= 2 ? zoomTo(zi + 1, zj - 1) : zoomTo(zj, zj))}>
              Zoom in
            </FocusKeepingButton>
            <FocusKeepingButton type="button" class="secondary" off={!zoomed} onClick={() => zoomTo(zi - 1, zj + 1)}>
              Zoom out
            </FocusKeepingButton>
            <FocusKeepingButton type="button" class="secondary" off={!zoomed} onClick={() => setZoom(undefined)}>
              Show all months
            </FocusKeepingButton>
            <span id="zoom-state" class="stamp" role="status" aria-label="Zoom">
              {zoomed ? `Showing ${shown[0]} to ${shown[shown.length - 1]} of ${from} to ${to}.` : `Showing all months, ${from} to ${to}.`}
            </span>
          </fieldset>
        )}
        <p class="hint">
          No-show rate = no-shows ÷ (completed + no-shows): only appointments whose outcome is known. Volume counts each outcome apart; "Scheduled" is
          booked and not yet completed, no-show or cancelled (future bookings, and past ones nobody closed).
        </p>
      </section>
      {data.status === 'error' && <ErrorView error={data.error} retry={data.reload} what="The analytics could not be loaded." />}
      {!current && data.status === 'loading' && <Loading />}
      {current && (
        <>
          <section class="card" aria-labelledby="rate-h">
            <h2 id="rate-h">No-show rate</h2>
            <ChartCanvas config={rateConfig} label={`No-show rate by month, ${view === 'clinic' ? 'clinic-wide' : 'one line per provider'}; the numbers are in the table below`} />
            <DataTable model={rateTable} file={`no-show-rate_${from}_${to}.csv`} />
          </section>
          <section class="card" aria-labelledby="volume-h">
            <h2 id="volume-h">Volume by outcome</h2>
            <ChartCanvas config={volumeConfig} label="Appointments by month, stacked by outcome; the numbers are in the table below" />
            <DataTable model={volumeTable} file={`volume_${from}_${to}.csv`} />
          </section>
        </>
      )}
    </div>
  );
}
