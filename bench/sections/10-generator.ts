/**
 * Bench section: the volume generator, as timed by the runner when it built the
 * dataset every later section measures (one run, every constraint and trigger on).
 */
import type { BenchContext, BenchRow, BenchSection } from '../context.js';

const TARGET_SECONDS = 60;

const section: BenchSection = {
  title: 'Volume generator (npm run generate)',
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const g = ctx.generator;
    if (!g) return [];
    const seconds = g.ms / 1000;
    const rows = Object.values(g.counts).reduce((a, b) => a + b, 0);
    const n = (x: number) => x.toLocaleString('en-US');
    const slowest = Object.entries(g.timings)
      .filter(([phase]) => phase.startsWith('lane '))
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([phase, ms]) => `${phase} ${(ms / 1000).toFixed(1)} s`)
      .join(', ');
    return [
      {
        metric: `generator wall time (${n(g.counts.appointments)} appointments)`,
        value: Math.round(seconds * 10) / 10,
        unit: 's',
        note: `target <= ${TARGET_SECONDS} s at 1M; ${g.lanes} COPY lanes; slowest steps: ${slowest}`,
      },
      {
        metric: 'generator rows/s (all tables)',
        value: Math.round(rows / seconds),
        unit: 'rows/s',
        note: `${n(rows)} rows: ${n(g.counts.providers)} providers, ${n(g.counts.patients)} patients, ${n(g.counts.appointments)} appointments, ${n(g.counts.visits)} visits, ${n(g.counts.diagnoses)} diagnoses, ${n(g.counts.prescriptions)} prescriptions`,
      },
      {
        metric: 'generator appointments/s',
        value: Math.round(g.counts.appointments / seconds),
        unit: 'appointments/s',
        note: 'trigger-written rows (audit log, outbox, charges, monthly stats) not counted',
      },
    ];
  },
};

export default section;
