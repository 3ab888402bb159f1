/**
 * Bench section: the volume generator, as timed by the runner when it built the
 * dataset every later section measures (one run, every constraint and trigger on).
 * Wall time depends on whatever else the machine runs; CPU time (of the COPY
 * backends, read from /proc, and of the generator) does not, so the section also
 * reports what the same work takes on an otherwise idle machine with this many cores.
 */
import os from 'node:os';
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
    const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    const result: BenchRow[] = [
      {
        metric: `generator wall time (${n(g.counts.appointments)} appointments)`,
        value: Math.round(seconds * 10) / 10,
        unit: 's',
        note: `target <= ${TARGET_SECONDS} s at 1M; ${g.lanes} COPY lanes; plan ${s(g.timings.plan ?? 0)}, COPY ${s(g.timings['appointments + visits + diagnoses + prescriptions'] ?? 0)}, analyze ${s(g.timings.analyze ?? 0)}`,
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
        note: 'rows written by triggers (audit log, outbox, charges, monthly stats) not counted',
      },
    ];

    const laneCpu = new Map<string, number>();
    const tableCpu = new Map<string, number>();
    for (const [phase, ms] of Object.entries(g.cpu)) {
      const m = /^(lane \d+) (\w+)$/.exec(phase);
      if (!m) continue;
      laneCpu.set(m[1]!, (laneCpu.get(m[1]!) ?? 0) + ms);
      tableCpu.set(m[2]!, (tableCpu.get(m[2]!) ?? 0) + ms);
    }
    if (laneCpu.size > 0) {
      const dbCpu = [...laneCpu.values()].reduce((a, b) => a + b, 0);
      const copyCpu = g.cpu['generator process'] ?? 0;
      const cores = os.cpus().length;
      // Lanes are single backends: the parallel part lasts at least the busiest lane, and at
      // least all CPU spread over every core. The serial parts (plan, setup, ANALYZE) add on.
      const serialMs = (g.cpu.plan ?? g.timings.plan ?? 0) + (g.timings['reserve ids'] ?? 0) + (g.timings.formulary ?? 0) +
        (g.timings['providers + patients'] ?? 0) + (g.timings.analyze ?? 0);
      const idleMs = serialMs + Math.max(...laneCpu.values(), (dbCpu + copyCpu) / cores);
      const perRow = [...tableCpu.entries()]
        .map(([table, ms]) => `${table} ${Math.round((ms * 1000) / Math.max(1, g.counts[table as keyof typeof g.counts] ?? 1))} us/row`)
        .join(', ');
      result.push(
        {
          metric: 'generator database CPU (COPY backends)',
          value: Math.round(dbCpu / 100) / 10,
          unit: 'CPU s',
          note: perRow,
        },
        {
          metric: 'generator process CPU (plan + COPY text)',
          value: Math.round(((g.cpu.plan ?? 0) + copyCpu) / 100) / 10,
          unit: 'CPU s',
        },
        {
          metric: `generator time on an idle ${cores}-core machine (from CPU time)`,
          value: Math.round(idleMs / 100) / 10,
          unit: 's',
          note: `serial ${s(serialMs)} + max(busiest lane, all CPU / ${cores} cores); an estimate, not a measurement`,
        },
      );
    }
    return result;
  },
};

export default section;
