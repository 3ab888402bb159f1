/**
 * Writing a plan into PostgreSQL with COPY, every constraint and trigger enabled.
 *
 * - Ids are reserved up front (tables locked briefly, identity sequences advanced
 *   past the block), then written explicitly: COPY accepts identity values, and
 *   knowing them lets visits, diagnoses and prescriptions be streamed without
 *   reading anything back. Concurrent writers simply get ids after the block.
 * - Providers, patients and the formulary commit first; then appointments and
 *   their visits, diagnoses and prescriptions are cut into batches of whole
 *   providers (BATCHES_PER_LANE per lane), which `lanes` connections take from a
 *   shared queue, one transaction per batch. Equal row counts do not mean equal
 *   work (specialties differ in visits, diagnoses and prescriptions per
 *   appointment), and fixed halves finished a minute apart at 1M; a queue keeps
 *   every connection busy until the end. Each table in a batch is a single COPY,
 *   i.e. a single statement, so statement-level triggers (monthly stats, audit,
 *   outbox, charges) fire once per batch, not per row.
 * - Rows are produced as COPY text in chunks, with backpressure, never as one
 *   giant string.
 * A failure inside a batch rolls that batch back and stops the queue; batches
 * already committed stay (their rows are complete and valid on their own).
 */
import type { Knex } from 'knex';
import type pg from 'pg';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import { SPECIALTIES } from '../../seeds/data/specialties.js';
import { ClinicCalendar } from './clinic-time.js';
import { CANCELLED, CHECKED_IN, COMPLETED, NO_SHOW, STATUS, type Plan } from './plan.js';
import { hashUnit } from './random.js';
import { connectionPool } from '../db/knex.js';

export interface IdBases {
  provider: number;
  patient: number;
  appointment: number;
  visit: number;
  diagnosis: number;
  prescription: number;
}

export interface RowCounts {
  providers: number;
  patients: number;
  appointments: number;
  visits: number;
  diagnoses: number;
  prescriptions: number;
}

export interface LoadResult {
  counts: RowCounts;
  firstIds: IdBases;
  /** Milliseconds per phase. */
  timings: Record<string, number>;
  /**
   * CPU milliseconds per phase: each lane's COPY backend per table (only when the server
   * runs on this machine, read from /proc) and this process ('generator process').
   * Unlike wall time, it does not depend on what else the machine is doing.
   */
  cpu: Record<string, number>;
}

export interface LoadOptions {
  /** Parallel connections for the appointment lanes (default 2). */
  lanes?: number;
  /** ANALYZE the written tables afterwards (default true). */
  analyze?: boolean;
  log?: (line: string) => void;
}

const TABLES: readonly [keyof IdBases, string, string][] = [
  ['provider', 'providers', 'provider_id'],
  ['patient', 'patients', 'patient_id'],
  ['appointment', 'appointments', 'appointment_id'],
  ['visit', 'visits', 'visit_id'],
  ['diagnosis', 'diagnoses', 'diagnosis_id'],
  ['prescription', 'prescriptions', 'prescription_id'],
];

export function countsOf(plan: Plan): RowCounts {
  return {
    providers: plan.providers.length,
    patients: plan.patients.length,
    appointments: plan.appointments.count,
    visits: plan.visits.count,
    diagnoses: plan.diagnoses.count,
    prescriptions: plan.prescriptions.count,
  };
}

/** Reserve a block of identity values per table; returns the first id of each block. */
async function reserveIds(client: pg.ClientBase, counts: RowCounts): Promise<IdBases> {
  const need: Record<keyof IdBases, number> = {
    provider: counts.providers,
    patient: counts.patients,
    appointment: counts.appointments,
    visit: counts.visits,
    diagnosis: counts.diagnoses,
    prescription: counts.prescriptions,
  };
  const first = {} as IdBases;
  await client.query('BEGIN');
  try {
    // Waits for in-flight inserts to finish and holds new ones off until the sequences moved.
    await client.query(`LOCK TABLE ${TABLES.map(([, t]) => t).join(', ')} IN SHARE ROW EXCLUSIVE MODE`);
    for (const [key, table, column] of TABLES) {
      const { rows } = await client.query<{ seq: string }>('SELECT pg_get_serial_sequence($1, $2) AS seq', [table, column]);
      const seq = rows[0]!.seq;
      const last = await client.query<{ last: string }>(
        `SELECT greatest(coalesce((SELECT max(${column}) FROM ${table}), 0),
                         (SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM ${seq})) AS last`,
      );
      const lastId = Number(last.rows[0]!.last);
      first[key] = lastId + 1;
      if (need[key] > 0) await client.query('SELECT setval($1::regclass, $2::bigint, true)', [seq, lastId + need[key]]);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  }
  return first;
}

/** The formulary rows (added if missing) and their ids, in formulary order. */
async function ensureFormulary(client: pg.ClientBase, plan: Plan): Promise<number[]> {
  const names = plan.formulary.map((m) => m.name);
  const forms = plan.formulary.map((m) => m.form);
  const strengths = plan.formulary.map((m) => m.strength);
  await client.query(
    `INSERT INTO medications (name, form, strength)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) ORDER BY 1, 2, 3
     ON CONFLICT DO NOTHING`,
    [names, forms, strengths],
  );
  const { rows } = await client.query<{ medication_id: number; k: string }>(
    `SELECT medication_id, lower(name) || '|' || lower(form) || '|' || lower(strength) AS k FROM medications
     WHERE (lower(name), lower(form), lower(strength)) IN (SELECT lower(a), lower(b), lower(c) FROM unnest($1::text[], $2::text[], $3::text[]) AS u(a, b, c))`,
    [names, forms, strengths],
  );
  const byKey = new Map(rows.map((r) => [r.k, r.medication_id]));
  return plan.formulary.map((m) => byKey.get(`${m.name}|${m.form}|${m.strength}`.toLowerCase())!);
}

const hhmm = (minutes: number) => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

/** Each provider's weekly hours, where the schema records them (utilisation needs them). */
async function writeWorkingHours(client: pg.ClientBase, plan: Plan, firstProvider: number): Promise<void> {
  const { rows } = await client.query<{ t: string | null }>("SELECT to_regclass('provider_working_hours')::text AS t");
  if (!rows[0]!.t) return;
  const ids: number[] = [];
  const days: number[] = [];
  const starts: string[] = [];
  const ends: string[] = [];
  plan.providers.forEach((p, i) => {
    for (let wd = 0; wd < 7; wd++) {
      if (!(p.weekdays & (1 << wd))) continue;
      ids.push(firstProvider + i);
      days.push(wd === 0 ? 7 : wd);
      starts.push(hhmm(p.start));
      ends.push(hhmm(p.end));
    }
  });
  await client.query(
    `INSERT INTO provider_working_hours (provider_id, iso_weekday, starts_at, ends_at)
     SELECT * FROM unnest($1::int[], $2::smallint[], $3::time[], $4::time[])`,
    [ids, days, starts, ends],
  );
}

/**
 * A reader of the CPU time (ms) used so far by the backend serving `client`, or of
 * undefined when that backend is not a local process (remote server, no /proc).
 */
async function backendCpu(client: pg.ClientBase): Promise<() => number | undefined> {
  const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  const pid = rows[0]!.pid;
  const read = (): number | undefined => {
    try {
      if (!readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('postgres')) return undefined;
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      // utime and stime, in clock ticks (100 per second on Linux).
      return (Number(fields[11]) + Number(fields[12])) * 10;
    } catch {
      return undefined;
    }
  };
  return read;
}

/** COPY text escaping for free text (names never hold these, but a changed list might). */
function text(v: string): string {
  return /[\\\t\n\r]/.test(v) ? v.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r') : v;
}

// Timestamps as 'YYYY-MM-DD HH:MM+00' from epoch minutes: a cached day string plus a
// minute-of-day table: ~0.3 us per value where Date#toISOString took ~5 us, millions of times.
const HHMM = Array.from({ length: 1440 }, (_, m) => ` ${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}+00`);
const dayStrings = new Map<number, string>();
function ts(epochMinutes: number): string {
  const day = Math.floor(epochMinutes / 1440);
  let d = dayStrings.get(day);
  if (d === undefined) dayStrings.set(day, (d = ClinicCalendar.isoDate(day)));
  return d + HHMM[epochMinutes - day * 1440];
}

const CHUNK_ROWS = 4000;

/** Rows [from, to) as COPY text, CHUNK_ROWS at a time. */
function* chunks(from: number, to: number, row: (i: number) => string): Generator<string> {
  for (let i = from; i < to; ) {
    const end = Math.min(to, i + CHUNK_ROWS);
    let s = '';
    for (; i < end; i++) s += row(i);
    yield s;
  }
}

async function copy(client: pg.ClientBase, sql: string, source: Iterable<string>): Promise<void> {
  await pipeline(Readable.from(source), client.query(copyFrom(sql)));
}

const AREA_CODES = ['212', '215', '267', '301', '347', '404', '410', '412', '516', '518', '585', '609', '617', '646', '703', '718', '732', '781', '856', '914', '917', '973'];
const slug = (s: string) => s.toLowerCase().normalize('NFKD').replace(/[^a-z]/g, '') || 'patient';

/** Lowest index whose value is >= target in an ascending column. */
function lowerBound(column: Int32Array, length: number, target: number): number {
  let lo = 0;
  let hi = length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (column[mid]! < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Batches per connection: enough to even out uneven providers, few enough that per-statement costs stay small. */
const BATCHES_PER_LANE = 8;

interface Batch {
  appointments: [number, number];
  visits: [number, number];
  diagnoses: [number, number];
  prescriptions: [number, number];
}

/** Split the plan into `n` batches of whole providers with about equal appointment counts. */
function splitBatches(plan: Plan, n: number): Batch[] {
  const a = plan.appointments;
  const cuts = [0];
  for (let k = 1; k < n; k++) {
    let cut = Math.max(cuts[cuts.length - 1]!, Math.round((a.count * k) / n));
    while (cut > 0 && cut < a.count && a.provider[cut] === a.provider[cut - 1]) cut++;
    cuts.push(Math.min(cut, a.count));
  }
  cuts.push(a.count);
  const batches: Batch[] = [];
  for (let k = 0; k < n; k++) {
    const [a0, a1] = [cuts[k]!, cuts[k + 1]!];
    if (a1 <= a0) continue;
    const v0 = lowerBound(plan.visits.appointment, plan.visits.count, a0);
    const v1 = lowerBound(plan.visits.appointment, plan.visits.count, a1);
    batches.push({
      appointments: [a0, a1],
      visits: [v0, v1],
      diagnoses: [lowerBound(plan.diagnoses.visit, plan.diagnoses.count, v0), lowerBound(plan.diagnoses.visit, plan.diagnoses.count, v1)],
      prescriptions: [
        lowerBound(plan.prescriptions.visit, plan.prescriptions.count, v0),
        lowerBound(plan.prescriptions.visit, plan.prescriptions.count, v1),
      ],
    });
  }
  return batches;
}

/**
 * Write a plan. `knex` must be a superuser (or table owner) connection pool with
 * room for `lanes` connections; constraints and triggers stay enabled throughout.
 */
export async function loadPlan(knex: Knex, plan: Plan, opts: LoadOptions = {}): Promise<LoadResult> {
  const log = opts.log ?? (() => {});
  const timings: Record<string, number> = {};
  const lap = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      timings[name] = Math.round(performance.now() - t0);
    }
  };
  const cpu: Record<string, number> = {};
  const processCpu0 = process.cpuUsage();
  const counts = countsOf(plan);
  const laneCount = Math.max(1, Math.min(opts.lanes ?? 2, 8));
  const clients: pg.Client[] = [];
  try {
    for (let i = 0; i < laneCount; i++) clients.push(await connectionPool(knex).acquireConnection());
    const main = clients[0]!;
    const seed = plan.seed;
    const { calendar, nowMin } = plan;
    // Bookings are made before today; only today's outcomes depend on the time of day.
    const bookedBy = calendar.instant(plan.today, 0) - 1;

    const first = await lap('reserve ids', () => reserveIds(main, counts));
    const medicationIds = await lap('formulary', () => ensureFormulary(main, plan));

    await lap('providers + patients', async () => {
      await main.query('BEGIN');
      try {
        await main.query('SET LOCAL synchronous_commit = off');
        await copy(
          main,
          'COPY providers (provider_id, name, specialty) FROM STDIN',
          chunks(0, counts.providers, (i) => {
            const p = plan.providers[i]!;
            return `${first.provider + i}\t${text(p.name)}\t${text(specialtyName(p.specialty))}\n`;
          }),
        );
        await copy(
          main,
          'COPY patients (patient_id, name, dob, email, phone, created_at) FROM STDIN',
          chunks(0, counts.patients, (i) => {
            const p = plan.patients[i]!;
            const id = first.patient + i;
            const email = hashUnit(seed, 1, id) < 0.04 ? '\\N' : `${slug(p.first)}.${slug(p.last)}${id}@example.${hashUnit(seed, 2, id) < 0.5 ? 'com' : 'org'}`;
            const phone = hashUnit(seed, 3, id) < 0.02 ? '\\N' : `+1 ${AREA_CODES[Math.floor(hashUnit(seed, 4, id) * AREA_CODES.length)]}-555-01${String(Math.floor(hashUnit(seed, 5, id) * 100)).padStart(2, '0')}`;
            const bornMin = Date.parse(p.dob) / 60000 + 9 * 60;
            return `${id}\t${text(`${p.first} ${p.last}`)}\t${p.dob}\t${email}\t${phone}\t${ts(Math.max(plan.patientCreated[i]!, bornMin))}\n`;
          }),
        );
        await writeWorkingHours(main, plan, first.provider);
        await main.query('COMMIT');
      } catch (err) {
        await main.query('ROLLBACK');
        throw err;
      }
    });

    const a = plan.appointments;
    const appointmentRow = (i: number): string => {
      const start = a.start[i]!;
      const end = start + a.duration[i]!;
      const st = a.status[i]!;
      const lead = 1 + Math.floor(hashUnit(seed, 10, i) * 45);
      const created = Math.min(start - lead * 1440 - Math.floor(hashUnit(seed, 11, i) * 600), bookedBy - Math.floor(hashUnit(seed, 13, i) * 600));
      let updated: number;
      if (st === COMPLETED || st === NO_SHOW) updated = Math.min(end + 5 + Math.floor(hashUnit(seed, 12, i) * 55), nowMin);
      else if (st === CANCELLED) updated = Math.min(created + Math.floor((start - created) * hashUnit(seed, 12, i)), nowMin);
      else if (st === CHECKED_IN) updated = Math.max(created, start - 1 - Math.floor(hashUnit(seed, 12, i) * 15));
      else updated = created;
      return `${first.appointment + i}\t${first.patient + a.patient[i]!}\t${first.provider + a.provider[i]!}\t${ts(start)}\t${a.duration[i]}\t${STATUS[st]}\t${ts(created)}\t${ts(updated)}\n`;
    };
    const v = plan.visits;
    const visitStart = (i: number) => a.start[v.appointment[i]!]! + Math.floor(hashUnit(seed, 20, i) * 10);
    const visitRow = (i: number): string => {
      const ai = v.appointment[i]!;
      const started = visitStart(i);
      const completed = Math.min(Math.max(started + 5, a.start[ai]! + a.duration[ai]! - Math.floor(hashUnit(seed, 21, i) * 5)), Math.max(nowMin, started));
      return `${first.visit + i}\t${first.appointment + ai}\t${first.patient + a.patient[ai]!}\t${ts(started)}\t${ts(completed)}\n`;
    };
    const d = plan.diagnoses;
    const codeText = plan.codes.map((c) => `\t${c.code}\t${text(c.description)}\n`);
    const diagnosisRow = (i: number) => `${first.diagnosis + i}\t${first.visit + d.visit[i]!}${codeText[d.code[i]!]}`;
    const r = plan.prescriptions;
    const dosageText = plan.formulary.map((m) => text(m.dosage));
    const prescriptionRow = (i: number): string => {
      const vi = r.visit[i]!;
      const m = r.medication[i]!;
      const day = calendar.dayOfDaytime(a.start[v.appointment[vi]!]!);
      const course = plan.formulary[m]!.courseDays;
      const end = course === null ? '\\N' : ClinicCalendar.isoDate(day + course - 1);
      return `${first.prescription + i}\t${first.visit + vi}\t${medicationIds[m]}\t${dosageText[m]}\t${ClinicCalendar.isoDate(day)}\t${end}\n`;
    };

    const batches = splitBatches(plan, laneCount * BATCHES_PER_LANE);
    let nextBatch = 0;
    let failed = false;
    // allSettled: a failed batch stops the queue, but the other connections finish (or roll back)
    // their current batch before the connections are released.
    const settled = await lap('appointments + visits + diagnoses + prescriptions', () =>
      Promise.allSettled(
        clients.map(async (c, k) => {
          const lane = `lane ${k + 1}`;
          const t0 = performance.now();
          const add = (into: Record<string, number>, key: string, ms: number) => (into[key] = (into[key] ?? 0) + ms);
          let written = 0;
          let taken = 0;
          try {
            const backend = await backendCpu(c);
            const step = async (name: string, sql: string, [from, to]: [number, number], row: (i: number) => string) => {
              const s0 = performance.now();
              const c0 = backend();
              await copy(c, sql, chunks(from, to, row));
              add(timings, `${lane} ${name}`, Math.round(performance.now() - s0));
              const c1 = backend();
              if (c0 !== undefined && c1 !== undefined) add(cpu, `${lane} ${name}`, c1 - c0);
            };
            for (let b = nextBatch++; b < batches.length && !failed; b = nextBatch++) {
              const batch = batches[b]!;
              try {
                await c.query('BEGIN');
                await c.query('SET LOCAL synchronous_commit = off');
                await step('appointments', 'COPY appointments (appointment_id, patient_id, provider_id, scheduled_at, duration_min, status, created_at, updated_at) FROM STDIN', batch.appointments, appointmentRow);
                await step('visits', 'COPY visits (visit_id, appointment_id, patient_id, started_at, completed_at) FROM STDIN', batch.visits, visitRow);
                await step('diagnoses', 'COPY diagnoses (diagnosis_id, visit_id, code, description) FROM STDIN', batch.diagnoses, diagnosisRow);
                await step('prescriptions', 'COPY prescriptions (prescription_id, visit_id, medication_id, dosage, start_date, end_date) FROM STDIN', batch.prescriptions, prescriptionRow);
                await c.query('COMMIT');
              } catch (err) {
                // A connection that cannot even roll back is ended, so the pool drops it.
                await c.query('ROLLBACK').catch(() => c.end().catch(() => {}));
                throw err;
              }
              written += batch.appointments[1] - batch.appointments[0];
              taken++;
            }
          } catch (err) {
            failed = true;
            throw err;
          }
          log(`${lane}: ${written} appointments in ${taken} batches, ${Math.round(performance.now() - t0)} ms`);
        }),
      ),
    );
    const failure = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) throw failure.reason;

    if (opts.analyze ?? true) {
      await lap('analyze', async () => {
        await Promise.all([
          clients[0]!.query('ANALYZE appointments'),
          (clients[1] ?? clients[0]!).query('ANALYZE patients, providers, visits, diagnoses, prescriptions, medications, appointment_monthly_stats'),
        ]);
      });
    }
    const used = process.cpuUsage(processCpu0);
    cpu['generator process'] = Math.round((used.user + used.system) / 1000);
    return { counts, firstIds: first, timings, cpu };
  } finally {
    for (const c of clients) await connectionPool(knex).releaseConnection(c);
  }
}

const specialtyName = (i: number) => SPECIALTIES[i]!.name;
