/**
 * The patient aggregate: a patient as each role may see them, search and registration,
 * and a patient's appointment history.
 *
 * What a role sees is decided by PostgreSQL (grants, views, row-level security): these
 * functions only pick the relation meant for the role, so a row the caller may not see
 * simply is not returned.
 *
 * A patient's appointment history, newest first. Served by the index
 * appointments_patient_id_idx (patient_id, scheduled_at DESC): an index range scan
 * already in the wanted order, stopping after `limit` rows.
 */
import type { Knex } from 'knex';
import type { StaffRole, Transaction } from '../index.js';
import { appointmentColumns, toAppointment, type Appointment, type AppointmentRow } from './appointments.js';
import { boundedLimit, clinicDateOf, firstRow, instant, iso, type Queryable, selected } from './common.js';
import { selectAudited } from './access-log.js';

export interface HistoryEntry extends Appointment {
  providerName: string;
  providerSpecialty: string;
}

export interface HistoryOptions {
  /** At most this many rows (default 100, at most 1000). */
  limit?: number;
  /** Only appointments starting strictly before this instant (keyset paging: pass the last row's scheduledAt). */
  before?: string | Date;
}

/** The query behind {@link patientAppointmentHistory}, unexecuted (EXPLAIN in tests and docs). */
export function patientHistoryQuery(db: Queryable, patientId: number, opts: HistoryOptions = {}): Knex.QueryBuilder {
  const q = db('appointments as a')
    .join('providers as p', 'p.provider_id', 'a.provider_id')
    .select(appointmentColumns('a'))
    .select(db.raw(`${clinicDateOf('a.scheduled_at')} AS clinic_date`), 'p.name as provider_name', 'p.specialty as provider_specialty')
    .where('a.patient_id', patientId)
    .orderBy('a.scheduled_at', 'desc')
    .orderBy('a.appointment_id', 'desc')
    .limit(boundedLimit(opts.limit, 100, 1000));
  if (opts.before !== undefined) q.where('a.scheduled_at', '<', instant(opts.before, 'before'));
  return q;
}

/** Every appointment of one patient (any status), newest first. */
export async function patientAppointmentHistory(
  trx: Transaction,
  patientId: number,
  opts: HistoryOptions = {},
): Promise<HistoryEntry[]> {
  const rows: (AppointmentRow & { provider_name: string; provider_specialty: string })[] = await selected(patientHistoryQuery(
    trx,
    patientId,
    opts,
  ));
  return rows.map((r) => ({ ...toAppointment(r), providerName: r.provider_name, providerSpecialty: r.provider_specialty }));
}

/**
 * A patient as each role sees them: front desk through patient_summary (birth year,
 * masked contact); a clinician in full (row-level security: their own patients);
 * billing name and date of birth of the patients it bills (what a claim needs).
 */
export type PatientView =
  | { patientId: number; name: string; birthYear: number; emailMasked: string | null; phoneLast4: string | null; createdAt: string; dob?: string }
  | { patientId: number; name: string; dob: string; email: string | null; phone: string | null; createdAt: string }
  | { patientId: number; name: string; dob: string };

/** The relation and columns each role reads patients through (mirrors the column grants). */
function patientSource(trx: Transaction, role: StaffRole): Knex.QueryBuilder {
  if (role === 'clinician') return trx('patients as p').select('p.patient_id', 'p.name', 'p.dob', 'p.email', 'p.phone', 'p.created_at');
  if (role === 'billing') return trx('patients as p').select('p.patient_id', 'p.name', 'p.dob');
  // Front desk may read patients.dob (column grant): the full date tells two namesakes apart.
  return trx('patient_summary as p')
    .join('patients as d', 'd.patient_id', 'p.patient_id')
    .select('p.patient_id', 'p.name', 'p.birth_year', 'p.email_masked', 'p.phone_last4', 'p.created_at', trx.raw(`to_char(d.dob, 'YYYY-MM-DD') AS summary_dob`));
}

interface PatientRow {
  patient_id: number;
  name: string;
  dob?: string;
  email?: string | null;
  phone?: string | null;
  birth_year?: number;
  email_masked?: string | null;
  phone_last4?: string | null;
  created_at?: Date;
  summary_dob?: string;
}

function toPatient(r: PatientRow): PatientView {
  if (r.created_at === undefined) return { patientId: r.patient_id, name: r.name, dob: r.dob! };
  if (r.dob !== undefined) {
    return { patientId: r.patient_id, name: r.name, dob: r.dob, email: r.email ?? null, phone: r.phone ?? null, createdAt: iso(r.created_at) };
  }
  return {
    patientId: r.patient_id,
    name: r.name,
    birthYear: r.birth_year!,
    emailMasked: r.email_masked ?? null,
    phoneLast4: r.phone_last4 ?? null,
    createdAt: iso(r.created_at),
    ...(r.summary_dob !== undefined ? { dob: r.summary_dob } : {}),
  };
}

export async function getPatientAs(trx: Transaction, role: StaffRole, patientId: number): Promise<PatientView | undefined> {
  const row: PatientRow | undefined = await firstRow(patientSource(trx, role).where('p.patient_id', patientId));
  return row && toPatient(row);
}

/** {@link getPatientAs} and its durable audit row in one statement (access-log.ts); no row when the caller may not see the patient. */
export async function getPatientAsAudited(trx: Transaction, role: StaffRole, patientId: number): Promise<PatientView | undefined> {
  const [row] = await selectAudited<PatientRow>(trx, 'patients', patientSource(trx, role).where('p.patient_id', patientId), { patientColumn: 'patient_id', orderBy: 'patient_id' });
  return row && toPatient(row);
}

/** LIKE metacharacters in user input match themselves. */
const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * Patients whose name starts with `q`, or has a word starting with `q`
 * (case-insensitive), by name. Returns one row more than `limit` is not done here:
 * the caller asks for limit + 1 to know whether there is a next page.
 *
 * The front desk's candidates come from the trigram index through patient_name_candidates
 * (migration 20261206000910: LIKE beneath the row-level policy cannot use an index) and are
 * then read through patient_summary, so the policy still decides what is returned. Other
 * roles (a clinician's few patients) filter beneath their policy as before.
 */
export async function searchPatientsAs(
  trx: Transaction,
  role: StaffRole,
  q: string | undefined,
  page: { limit: number; offset: number },
  dob?: string,
  audit?: { shown: number },
): Promise<PatientView[]> {
  const query = patientSource(trx, role).orderBy([{ column: 'p.name' }, { column: 'p.patient_id' }]).limit(page.limit);
  if (role === 'front_desk' && q !== undefined) {
    // The function pages (name order, as here) off its trigram index; the policy then decides on that page alone.
    query.whereRaw('p.patient_id IN (SELECT c FROM patient_name_candidates(?, ?::date, ?, ?) c)', [q, dob ?? null, page.limit, page.offset]);
  } else {
    if (q !== undefined) {
      const needle = likeEscape(q.trim().toLowerCase());
      query.where((w) => {
        w.whereRaw('lower(p.name) LIKE ?', [`${needle}%`]).orWhereRaw('lower(p.name) LIKE ?', [`% ${needle}%`]);
      });
    }
    // patients.dob through the base table: patient_summary shows only the year.
    if (dob !== undefined) query.whereIn('p.patient_id', trx('patients').select('patient_id').where('dob', dob));
    query.offset(page.offset);
  }
  // With `audit`, the page and the durable audit row of its first `shown` patients come from
  // one statement (access-log.ts, selectAudited).
  const rows: PatientRow[] = audit
    ? await selectAudited<PatientRow>(trx, 'patients', query, { patientColumn: 'patient_id', orderBy: 'name, patient_id', shown: audit.shown })
    : await selected(query);
  return rows.map(toPatient);
}

export interface NewPatient {
  name: string;
  /** 'YYYY-MM-DD' */
  dob: string;
  email?: string | null;
  phone?: string | null;
}

export async function registerPatient(trx: Transaction, p: NewPatient): Promise<number> {
  const [row] = (await trx('patients')
    .insert({ name: p.name, dob: p.dob, email: p.email ?? null, phone: p.phone ?? null })
    .returning('patient_id')) as { patient_id: number }[];
  return row!.patient_id;
}

/** Does a patient exist that the caller may see? (404 vs an empty list.) */
export async function patientVisible(trx: Transaction, role: StaffRole, patientId: number): Promise<boolean> {
  return (await getPatientAs(trx, role, patientId)) !== undefined;
}
