/**
 * Generated data for ClinicPulse: the demo clinic (seeds/demo.ts) and the volume
 * generator (`npm run generate`) share one planner (plan.ts) and one COPY loader
 * (load.ts), so the demo and the million-row benchmark look alike.
 */
import type { Knex } from 'knex';
import { Faker, base, en, en_US } from '@faker-js/faker';
import { buildPlan, type Plan } from './plan.js';
import { buildProviders, type ProviderSpec } from './providers.js';
import { Random, mix32, seedToInt } from './random.js';
import { loadPlan, type LoadResult } from './load.js';
import { clinicSettings } from '../db/repository/clinic-day.js';

export type { LoadResult, RowCounts } from './load.js';

/** Appointments per generated provider (about a year of their working days). */
export const APPOINTMENTS_PER_PROVIDER = 3000;
/** One patient per this many appointments. */
export const APPOINTMENTS_PER_PATIENT = 50;

export interface GenerateOptions {
  appointments: number;
  seed: number | string;
  /** The moment the data is anchored on (default: now). Same seed + same now = same rows. */
  now?: Date;
  /** Parallel COPY connections (default 2); `knex`'s pool must allow that many. */
  lanes?: number;
  analyze?: boolean;
  log?: (line: string) => void;
}

export interface GenerateResult extends LoadResult {
  /** Wall time of planning plus loading, in milliseconds. */
  ms: number;
}

function seededFaker(seed: number): Faker {
  const faker = new Faker({ locale: [en_US, en, base] });
  faker.seed(seed);
  return faker;
}

async function run(knex: Knex, plan: () => Plan, opts: Pick<GenerateOptions, 'lanes' | 'analyze' | 'log'>): Promise<GenerateResult> {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const p = plan();
  const planMs = Math.round(performance.now() - t0);
  const planCpu = process.cpuUsage(cpu0);
  opts.log?.(`planned ${p.appointments.count} appointments in ${planMs} ms`);
  const result = await loadPlan(knex, p, opts);
  result.timings = { plan: planMs, ...result.timings };
  result.cpu = { plan: Math.round((planCpu.user + planCpu.system) / 1000), ...result.cpu };
  return { ...result, ms: Math.round(performance.now() - t0) };
}

/**
 * Append a synthetic clinic of exactly `appointments` appointments with providers,
 * patients, visits, diagnoses and prescriptions in proportion. New rows never touch
 * existing providers or patients, so it appends safely to any database, demo or not.
 */
/**
 * The demo's first provider (family medicine) also sees patients on Saturdays and
 * Sundays, like a walk-in practice, so the demo clinician (linked to that provider,
 * seeds/demo-accounts.ts) has patients today on whatever day the demo is started.
 */
function openEveryDay(providers: ProviderSpec[]): ProviderSpec[] {
  return providers.map((p, i) => (i === 0 ? { ...p, weekdays: 0b1111111 } : p));
}

export async function generateVolume(knex: Knex, opts: GenerateOptions): Promise<GenerateResult> {
  if (!Number.isInteger(opts.appointments) || opts.appointments < 1) throw new RangeError('appointments must be a positive integer');
  const seed = seedToInt(opts.seed);
  const { timeZone } = await clinicSettings(knex);
  const providerCount = Math.max(1, Math.ceil(opts.appointments / APPOINTMENTS_PER_PROVIDER));
  // At least three patients per provider, so concurrent appointments can always find a free patient.
  const patientCount = Math.max(Math.ceil(opts.appointments / APPOINTMENTS_PER_PATIENT), providerCount * 3);
  return run(
    knex,
    () =>
      buildPlan({
        seed,
        now: opts.now ?? new Date(),
        timeZone,
        providers: buildProviders(providerCount, new Random(mix32(seed ^ 0x5eed)), seededFaker(mix32(seed ^ 0xd0c)), [0.75, 0.95]),
        patients: patientCount,
        childShare: 0.2,
        schedule: { kind: 'quota', appointments: opts.appointments, futureDays: 30 },
      }),
    opts,
  );
}

export const DEMO_SEED = 20261125;

/**
 * The demo clinic: 20 providers, 2,000 patients, six months of history and a month
 * ahead, anchored on `now` in the clinic's time zone.
 */
export async function loadDemo(knex: Knex, opts: { now?: Date; log?: (line: string) => void } = {}): Promise<GenerateResult> {
  const { timeZone } = await clinicSettings(knex);
  return run(
    knex,
    () =>
      buildPlan({
        seed: DEMO_SEED,
        now: opts.now ?? new Date(),
        timeZone,
        // Half the slots booked on average: 2,000 patients would not fill 20 full-time schedules.
        providers: openEveryDay(buildProviders(20, new Random(mix32(DEMO_SEED ^ 0x5eed)), seededFaker(mix32(DEMO_SEED ^ 0xd0c)), [0.4, 0.6])),
        patients: 2000,
        childShare: 0.22,
        schedule: { kind: 'window', pastDays: 183, futureDays: 31 },
      }),
    { lanes: 2, log: opts.log },
  );
}
