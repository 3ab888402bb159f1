/**
 * A patient's appointment history, newest first. Served by the index
 * appointments_patient_id_idx (patient_id, scheduled_at DESC): an index range scan
 * already in the wanted order, stopping after `limit` rows.
 */
import type { Knex } from 'knex';
import type { Transaction } from '../index.js';
import { appointmentColumns, toAppointment, type Appointment, type AppointmentRow } from './appointments.js';
import { clinicDateOf, instant, type Queryable } from './common.js';

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

function clampLimit(limit: number | undefined, fallback: number): number {
  if (limit === undefined) return fallback;
  if (!Number.isInteger(limit) || limit < 1) return 1;
  return Math.min(limit, 1000);
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
    .limit(clampLimit(opts.limit, 100));
  if (opts.before !== undefined) q.where('a.scheduled_at', '<', instant(opts.before, 'before'));
  return q;
}

/** Every appointment of one patient (any status), newest first. */
export async function patientAppointmentHistory(
  trx: Transaction,
  patientId: number,
  opts: HistoryOptions = {},
): Promise<HistoryEntry[]> {
  const rows: (AppointmentRow & { provider_name: string; provider_specialty: string })[] = await patientHistoryQuery(
    trx,
    patientId,
    opts,
  );
  return rows.map((r) => ({ ...toAppointment(r), providerName: r.provider_name, providerSpecialty: r.provider_specialty }));
}
