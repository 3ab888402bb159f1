/**
 * The in-memory plan of a generated dataset: who, when, what happened, and what
 * was recorded. Pure and deterministic for (seed, now, time zone, options).
 *
 * Integrity by construction, so the database's constraints never have to refuse a row:
 * - a provider's day is a grid walked by a cursor: no two of their appointments
 *   overlap (a cancelled slot may be re-booked by someone else, as in life);
 * - every patient keeps a list of busy intervals and is only booked where free;
 * - past appointments end completed, no_show or cancelled; one in progress is
 *   checked_in; future ones are scheduled (or cancelled);
 * - only completed appointments get a visit (the visit is created on completion,
 *   so a checked-in one has none yet), and diagnoses/prescriptions hang off visits.
 * Appointments are laid out by provider, then time, which keeps index inserts local.
 */
import { Faker, base, en, en_US } from '@faker-js/faker';
import { ICD10_CODES, type Icd10Code, type Icd10Key } from '../../seeds/data/icd10.js';
import { FORMULARY, type FormularyEntry } from '../../seeds/data/medications.js';
import { SPECIALTIES } from '../../seeds/data/specialties.js';
import { ClinicCalendar } from './clinic-time.js';
import type { ProviderSpec } from './providers.js';
import { Random, Weighted, mix32 } from './random.js';
import { APPOINTMENT_STATUSES } from '../../shared/vocabulary.js';

/** Statuses by index: the plan stores each appointment's status as its index in the vocabulary. */
export const STATUS = APPOINTMENT_STATUSES;
const at = (status: (typeof STATUS)[number]): number => STATUS.indexOf(status);
export const [SCHEDULED, CHECKED_IN, COMPLETED, CANCELLED, NO_SHOW] = [at('scheduled'), at('checked_in'), at('completed'), at('cancelled'), at('no_show')];

export interface PatientSpec {
  first: string;
  last: string;
  /** 'YYYY-MM-DD'. */
  dob: string;
  child: boolean;
}

export type ScheduleShape =
  /** Every working day from `pastDays` before today to `futureDays` after (the demo). */
  | { kind: 'window'; pastDays: number; futureDays: number }
  /** Exactly `appointments` rows, filling backwards from `futureDays` after today (volume). */
  | { kind: 'quota'; appointments: number; futureDays: number };

export interface PlanOptions {
  seed: number;
  now: Date;
  timeZone: string;
  providers: ProviderSpec[];
  patients: number;
  /** Share of patients under 18 (they see pediatrics, everyone else sees the rest). */
  childShare: number;
  schedule: ScheduleShape;
}

export interface Plan {
  seed: number;
  /** Epoch minutes of the plan's "now". */
  nowMin: number;
  /** The clinic-local day of "now". */
  today: number;
  calendar: ClinicCalendar;
  providers: ProviderSpec[];
  patients: PatientSpec[];
  /** Epoch minutes of each patient's registration. */
  patientCreated: Int32Array;
  appointments: {
    count: number;
    provider: Int32Array;
    patient: Int32Array;
    /** Epoch minutes. */
    start: Int32Array;
    duration: Int16Array;
    status: Uint8Array;
  };
  /** One per completed appointment, in appointment order. */
  visits: { count: number; appointment: Int32Array };
  /** In visit order; `code` indexes `codes`. */
  diagnoses: { count: number; visit: Int32Array; code: Uint16Array };
  /** In visit order; `medication` indexes `formulary`. */
  prescriptions: { count: number; visit: Int32Array; medication: Uint16Array };
  codes: readonly Icd10Code[];
  formulary: readonly FormularyEntry[];
}

/** A growable Int32 column (plain arrays of a million numbers cost 4x the memory). */
class Column {
  data: Int32Array;
  length = 0;
  constructor(capacity = 1024) {
    this.data = new Int32Array(capacity);
  }
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Int32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  take(): Int32Array {
    return this.data.slice(0, this.length);
  }
}

const HOLIDAYS = new Set(['01-01', '07-04', '12-25']);

function birthDate(rng: Random, todayDay: number, child: boolean): string {
  const years = child ? rng.next() * 17.9 : 18 + Math.pow(rng.next(), 1.3) * 72;
  const day = todayDay - Math.max(1, Math.floor(years * 365.25));
  return ClinicCalendar.isoDate(day);
}

function buildPatients(count: number, childShare: number, rng: Random, faker: Faker, todayDay: number): PatientSpec[] {
  const patients: PatientSpec[] = [];
  for (let i = 0; i < count; i++) {
    const child = rng.chance(childShare);
    const sex = rng.chance(0.5) ? 'female' : 'male';
    patients.push({
      first: faker.person.firstName(sex),
      last: faker.person.lastName(),
      dob: birthDate(rng, todayDay, child),
      child,
    });
  }
  return patients;
}

export function buildPlan(opts: PlanOptions): Plan {
  const rng = new Random(opts.seed);
  const faker = new Faker({ locale: [en_US, en, base] });
  faker.seed(opts.seed);
  const calendar = new ClinicCalendar(opts.timeZone);
  const nowMin = Math.floor(opts.now.getTime() / 60000);
  const today = calendar.dayOf(nowMin);
  const providers = opts.providers;

  const pediatricProviders = providers.filter((p) => SPECIALTIES[p.specialty]!.pediatric).length;
  const patients = buildPatients(opts.patients, opts.childShare, rng, faker, today);
  // Everyone must have someone to see: a pool with providers but no patients borrows the other.
  if (pediatricProviders > 0 && !patients.some((p) => p.child) && patients[0]) patients[0].child = true;
  if (pediatricProviders < providers.length && !patients.some((p) => !p.child) && patients.at(-1)) patients.at(-1)!.child = false;
  const pools = { child: [] as number[], adult: [] as number[] };
  patients.forEach((p, i) => (p.child ? pools.child : pools.adult).push(i));
  const busy: number[][] = patients.map(() => []);
  const firstSeen = new Int32Array(patients.length).fill(2 ** 31 - 1);

  // Each provider has a panel: the pool members whose position falls on their residue.
  const panelOf: { no: number; of: number }[] = [];
  {
    let child = 0;
    let adult = 0;
    for (const p of providers) panelOf.push(SPECIALTIES[p.specialty]!.pediatric ? { no: child++, of: 0 } : { no: adult++, of: 0 });
    for (let i = 0; i < providers.length; i++) panelOf[i]!.of = SPECIALTIES[providers[i]!.specialty]!.pediatric ? child : adult;
  }

  const isFree = (patient: number, s: number, e: number) => {
    const b = busy[patient]!;
    for (let i = 0; i < b.length; i += 2) if (s < b[i + 1]! && b[i]! < e) return false;
    return true;
  };

  function choosePatient(provider: number, s: number, e: number, blocking: boolean): number {
    const pediatric = SPECIALTIES[providers[provider]!.specialty]!.pediatric;
    let pool = pediatric ? pools.child : pools.adult;
    if (pool.length === 0) pool = pediatric ? pools.adult : pools.child;
    const panel = panelOf[provider]!;
    for (let attempt = 0; attempt < 24; attempt++) {
      let pos: number;
      if (attempt < 16 && panel.of > 0 && panel.no < pool.length && rng.chance(0.7)) {
        pos = panel.no + panel.of * rng.int(0, Math.floor((pool.length - 1 - panel.no) / panel.of));
      } else {
        pos = rng.int(0, pool.length - 1);
      }
      const patient = pool[pos]!;
      if (!blocking || isFree(patient, s, e)) return patient;
    }
    for (const candidates of [pool, pool === pools.child ? pools.adult : pools.child]) {
      const offset = rng.int(0, Math.max(0, candidates.length - 1));
      for (let k = 0; k < candidates.length; k++) {
        const patient = candidates[(offset + k) % candidates.length]!;
        if (isFree(patient, s, e)) return patient;
      }
    }
    return -1;
  }

  const aProvider = new Column(1 << 16);
  const aPatient = new Column(1 << 16);
  const aStart = new Column(1 << 16);
  const aDuration = new Column(1 << 16);
  const aStatus = new Column(1 << 16);

  interface Slot {
    start: number;
    end: number;
    duration: number;
    status: number;
  }

  // Outcomes draw a fixed number of values whatever the branch, and cancellations depend on
  // the day only, so the time of day the plan is made changes today's statuses and nothing else.
  function outcome(p: ProviderSpec, s: number, e: number, day: number, cancelDraw: number, noShowDraw: number): number {
    if (cancelDraw < p.cancelRate * (day < today ? 1 : 0.5)) return CANCELLED;
    if (e <= nowMin) return noShowDraw < p.noShowRate ? NO_SHOW : COMPLETED;
    return s <= nowMin ? CHECKED_IN : SCHEDULED;
  }

  function daySlots(providerIndex: number, day: number): Slot[] {
    const p = providers[providerIndex]!;
    const slots: Slot[] = [];
    if (!(p.weekdays & (1 << ClinicCalendar.weekday(day)))) return slots;
    if (isHoliday(day)) return slots;
    const durations = durationChoices[p.specialty]!;
    let cursor = p.start;
    while (cursor < p.end) {
      const duration = durations.pick(rng.next());
      if (cursor < p.lunchStart && cursor + duration > p.lunchStart) {
        cursor = p.lunchEnd;
        continue;
      }
      if (cursor + duration > p.end) break;
      if (rng.chance(p.fillRate)) {
        const start = calendar.instant(day, cursor);
        const end = start + duration;
        const [u1, u2, u3, u4] = [rng.next(), rng.next(), rng.next(), rng.next()];
        const status = outcome(p, start, end, day, u1, u2);
        slots.push({ start, end, duration, status });
        // A cancelled slot is often re-booked: cancelled rows do not block the time.
        if (status === CANCELLED && u3 < 0.4) slots.push({ start, end, duration, status: outcome(p, start, end, day, 1, u4) });
      }
      cursor += duration;
    }
    return slots;
  }

  const durationChoices = SPECIALTIES.map((s) => new Weighted(s.durations));
  const holidays = new Map<number, boolean>();
  const isHoliday = (day: number) => {
    let h = holidays.get(day);
    if (h === undefined) holidays.set(day, (h = HOLIDAYS.has(ClinicCalendar.isoDate(day).slice(5))));
    return h;
  };

  function emit(providerIndex: number, slots: Slot[]): void {
    for (const slot of slots) {
      const patient = choosePatient(providerIndex, slot.start, slot.end, slot.status !== CANCELLED);
      if (patient < 0) continue;
      if (slot.status !== CANCELLED) busy[patient]!.push(slot.start, slot.end);
      if (slot.start < firstSeen[patient]!) firstSeen[patient] = slot.start;
      aProvider.push(providerIndex);
      aPatient.push(patient);
      aStart.push(slot.start);
      aDuration.push(slot.duration);
      aStatus.push(slot.status);
    }
  }

  const shape = opts.schedule;
  if (shape.kind === 'window') {
    for (let pi = 0; pi < providers.length; pi++) {
      for (let day = today - shape.pastDays; day <= today + shape.futureDays; day++) emit(pi, daySlots(pi, day));
    }
  } else {
    const base = Math.floor(shape.appointments / Math.max(1, providers.length));
    const extra = shape.appointments - base * providers.length;
    for (let pi = 0; pi < providers.length; pi++) {
      let remaining = base + (pi < extra ? 1 : 0);
      const days: Slot[][] = [];
      // Fill backwards from the end of the horizon, then emit in time order.
      for (let day = today + shape.futureDays; remaining > 0 && day > today - 365 * 30; day--) {
        let slots = daySlots(pi, day);
        if (slots.length > remaining) slots = slots.slice(slots.length - remaining);
        remaining -= slots.length;
        if (slots.length) days.push(slots);
      }
      for (let d = days.length - 1; d >= 0; d--) emit(pi, days[d]!);
    }
  }

  const count = aProvider.length;
  const status = Uint8Array.from(aStatus.take());
  const appointments = {
    count,
    provider: aProvider.take(),
    patient: aPatient.take(),
    start: aStart.take(),
    duration: Int16Array.from(aDuration.take()),
    status,
  };

  // Visits, diagnoses and prescriptions of completed appointments.
  const codes = Object.values(ICD10_CODES) as Icd10Code[];
  const codeIndex = new Map<Icd10Key, number>((Object.keys(ICD10_CODES) as Icd10Key[]).map((k, i) => [k, i]));
  const diagnosisChoices = SPECIALTIES.map((s) => new Weighted(s.diagnoses.map(([k, w]) => [codeIndex.get(k)!, w] as const)));
  const medsFor: number[][] = codes.map(() => []);
  FORMULARY.forEach((entry, mi) => entry.for.forEach((k) => medsFor[codeIndex.get(k)!]!.push(mi)));

  const vAppointment = new Column(1 << 16);
  const dVisit = new Column(1 << 16);
  const dCode = new Column(1 << 16);
  const rVisit = new Column(1 << 16);
  const rMed = new Column(1 << 16);
  const visitCodes: number[] = [];
  const visitRng = new Random(0);
  const candidates: number[] = [];
  for (let a = 0; a < count; a++) {
    if (status[a] !== COMPLETED) continue;
    const visit = vAppointment.length;
    vAppointment.push(a);
    const choices = diagnosisChoices[providers[appointments.provider[a]!]!.specialty]!;
    // Keyed by appointment, so today's in-progress appointments cannot shift anyone else's record.
    const rng = visitRng.reseed(mix32(opts.seed ^ Math.imul(a + 1, 0x9e3779b1)));
    const u = rng.next();
    const n = u < 0.08 ? 0 : u < 0.88 ? 1 : 2;
    visitCodes.length = 0;
    for (let k = 0; k < n; k++) {
      const code = choices.pick(rng.next());
      if (visitCodes.includes(code)) continue;
      visitCodes.push(code);
      dVisit.push(visit);
      dCode.push(code);
    }
    candidates.length = 0;
    for (const code of visitCodes) for (const m of medsFor[code]!) if (!candidates.includes(m)) candidates.push(m);
    if (candidates.length === 0) continue;
    const r = rng.next();
    const prescribed = r < 0.3 ? 0 : r < 0.85 ? 1 : 2;
    for (let k = 0; k < prescribed && candidates.length > 0; k++) {
      const pick = rng.int(0, candidates.length - 1);
      rVisit.push(visit);
      rMed.push(candidates[pick]!);
      candidates.splice(pick, 1);
    }
  }

  const patientCreated = new Int32Array(patients.length);
  for (let i = 0; i < patients.length; i++) {
    const anchor = Math.min(firstSeen[i]!, calendar.instant(today, 0));
    patientCreated[i] = anchor - rng.int(1, 720) * 1440 - rng.int(0, 1439);
  }

  return {
    seed: opts.seed,
    nowMin,
    today,
    calendar,
    providers,
    patients,
    patientCreated,
    appointments,
    visits: { count: vAppointment.length, appointment: vAppointment.take() },
    diagnoses: { count: dVisit.length, visit: dVisit.take(), code: Uint16Array.from(dCode.take()) },
    prescriptions: { count: rVisit.length, visit: rVisit.take(), medication: Uint16Array.from(rMed.take()) },
    codes,
    formulary: FORMULARY,
  };
}
