/**
 * PLACEHOLDER manager screen (a port of the previous dashboard; the manager's own screen
 * replaces it): no-show rate and monthly volume, refreshed on analytics:changed.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { Chart, registerables } from 'chart.js';
import { useApp } from '../../components/context.js';
import { ErrorView } from '../../components/states.js';

Chart.register(...registerables);

function monthsAround(today: string): string[] {
  const [y, m] = today.split('-').map(Number) as [number, number];
  return Array.from({ length: 13 }, (_, i) => {
    const d = new Date(Date.UTC(y, m - 1 + i - 11, 1));
    return d.toISOString().slice(0, 7);
  });
}

export default function ManagerScreen() {
  const { api, live, clock } = useApp();
  const rateRef = useRef<HTMLCanvasElement>(null);
  const volRef = useRef<HTMLCanvasElement>(null);
  const [error, setError] = useState<unknown>();
  const [stamp, setStamp] = useState('loading');
  const [nonce, setNonce] = useState(0);
  useEffect(() => {
    const months = monthsAround(clock.today());
    const from = months[0]!;
    const to = months[12]!;
    const rateChart = new Chart(rateRef.current!, {
      type: 'line',
      data: { labels: months, datasets: [{ label: 'No-show rate (%)', data: [] as (number | null)[], borderColor: '#c0392b', tension: 0.2 }] },
      options: { animation: false, scales: { y: { beginAtZero: true, ticks: { callback: (v) => `${v}%` } } } },
    });
    const volumeChart = new Chart(volRef.current!, {
      type: 'bar',
      data: { labels: months, datasets: [{ label: 'Appointments (not cancelled)', data: [] as number[], backgroundColor: '#2e86c1' }] },
      options: { animation: false, scales: { y: { beginAtZero: true } } },
    });
    const load = async () => {
      try {
        const [rates, volume] = await Promise.all([api.noShowRate(from, to), api.volume(from, to)]);
        rateChart.data.datasets[0]!.data = months.map((m) => {
          const rows = rates.filter((r) => r.month === m);
          const known = rows.reduce((n, r) => n + r.completed + r.noShows, 0);
          return known ? Math.round((10_000 * rows.reduce((n, r) => n + r.noShows, 0)) / known) / 100 : null;
        });
        volumeChart.data.datasets[0]!.data = months.map((m) => volume.filter((r) => r.month === m).reduce((n, r) => n + r.appointments, 0));
        rateChart.update();
        volumeChart.update();
        setError(undefined);
        setStamp(`updated ${clock.time(clock.now())}`);
      } catch (err) {
        setError(err);
      }
    };
    const onChanged = (e: { months: string[] }) => {
      if (e.months.some((m) => m >= from && m <= to)) void load();
    };
    live.socket.on('analytics:changed', onChanged);
    void load();
    return () => {
      live.socket.off('analytics:changed', onChanged);
      rateChart.destroy();
      volumeChart.destroy();
    };
  }, [api, live, clock, nonce]);
  return (
    <div class="stack">
      {error !== undefined && <ErrorView error={error} retry={() => setNonce((n) => n + 1)} />}
      <section class="card">
        <h2>
          No-show rate <span class="badge">{stamp}</span>
        </h2>
        <canvas ref={rateRef} aria-label="No-show rate by month" role="img" />
      </section>
      <section class="card">
        <h2>Monthly volume</h2>
        <canvas ref={volRef} aria-label="Appointments by month" role="img" />
      </section>
    </div>
  );
}
