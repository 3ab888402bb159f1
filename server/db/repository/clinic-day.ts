/**
 * The clinic as the front desk's day grid sees it: the clinic's settings, and one
 * whole clinic-local day in one round trip each (every provider, their working hours
 * that weekday, and every appointment starting that day with the patient's name and
 * date of birth, which front desk may read: the column grant on patients.dob).
 *
 * The appointments query drives from providers into appointments(provider_id,
 * scheduled_at), one index range scan per provider, so it stays fast at any table
 * size without a new index.
 */
import type { Transaction } from '../index.js';
import { appointmentColumns, toAppointment, type Appointment, type AppointmentRow } from './appointments.js';
import { assertDay, clinicDateOf } from './common.js';

export interface ClinicSettings {
  timeZone: string;
  /** The clinic-local date now, 'YYYY-MM-DD'. */
  today: string;
}

export async function clinicSettings(trx: Transaction): Promise<ClinicSettings> {
  const { rows } = await trx.raw<{ rows: { time_zone: string; today: string }[] }>(
    'SELECT clinic_time_zone() AS time_zone, clinic_day(now())::text AS today',
  );
  return { timeZone: rows[0]!.time_zone, today: rows[0]!.today };
}

export interface DayProvider {
  providerId: number;
  name: string;
  specialty: string;
  /** Clinic-local working hours that weekday ('HH:MM'), or null when the provider does not work that day. */
  workingHours: { start: string; end: string } | null;
}

export interface DayAppointment extends Appointment {
  patientName: string;
  patientDob: string;
  /** Set when the front desk booked it on top of another appointment (an overbook), with this reason. */
  overbookReason: string | null;
}

export interface ClinicDay {
  date: string;
  providers: DayProvider[];
  appointments: DayAppointment[];
}

/** Every provider and every appointment (cancelled ones too) starting on clinic-local day `day`. */
export async function clinicDay(trx: Transaction, day: string): Promise<ClinicDay> {
  assertDay(day, 'date');
  const providers: { provider_id: number; name: string; specialty: string; starts_at: string | null; ends_at: string | null }[] = await trx(
    'providers as p',
  )
    .leftJoin('provider_working_hours as h', (j) =>
      j.on('h.provider_id', 'p.provider_id').andOn(trx.raw('h.iso_weekday = extract(isodow FROM ?::date)', [day])),
    )
    .select('p.provider_id', 'p.name', 'p.specialty', trx.raw(`to_char(h.starts_at, 'HH24:MI') AS starts_at`), trx.raw(`to_char(h.ends_at, 'HH24:MI') AS ends_at`))
    .orderBy([{ column: 'p.name' }, { column: 'p.provider_id' }]);
  const rows: (AppointmentRow & { patient_name: string; patient_dob: string; overbook_reason: string | null })[] = await trx('providers as p')
    .join('appointments as a', 'a.provider_id', 'p.provider_id')
    .join('patients as pt', 'pt.patient_id', 'a.patient_id')
    .select(appointmentColumns('a'))
    .select(trx.raw(`${clinicDateOf('a.scheduled_at')} AS clinic_date`), 'pt.name as patient_name', trx.raw(`to_char(pt.dob, 'YYYY-MM-DD') AS patient_dob`), 'a.overbook_reason')
    .whereRaw('a.scheduled_at >= lower(clinic_day_range(?::date))', [day])
    .whereRaw('a.scheduled_at < upper(clinic_day_range(?::date))', [day])
    .orderBy([{ column: 'a.scheduled_at' }, { column: 'a.appointment_id' }]);
  return {
    date: day,
    providers: providers.map((p) => ({
      providerId: p.provider_id,
      name: p.name,
      specialty: p.specialty,
      workingHours: p.starts_at && p.ends_at ? { start: p.starts_at, end: p.ends_at } : null,
    })),
    appointments: rows.map((r) => ({ ...toAppointment(r), patientName: r.patient_name, patientDob: r.patient_dob, overbookReason: r.overbook_reason })),
  };
}

export interface StatusChange {
  kind: string;
  at: string;
  /** The staff member's username, or null when the change was not made by a signed-in person (seed, import). */
  by: string | null;
  byRole: string | null;
}

/** An appointment's changes, oldest first (appointment_status_history: outbox + audit log). */
export async function appointmentStatusHistory(trx: Transaction, appointmentId: number): Promise<StatusChange[]> {
  const { rows } = await trx.raw<{ rows: { kind: string; occurred_at: Date; actor_username: string | null; actor_role: string | null }[] }>(
    'SELECT kind, occurred_at, actor_username, actor_role FROM appointment_status_history(?)',
    [appointmentId],
  );
  return rows.map((r) => ({ kind: r.kind, at: r.occurred_at.toISOString(), by: r.actor_username, byRole: r.actor_role }));
}
