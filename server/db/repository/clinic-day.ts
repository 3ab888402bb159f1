/**
 * The clinic as the front desk's day grid sees it: the clinic's settings, and one
 * whole clinic-local day in one round trip each (every provider, every working interval
 * that weekday and their time off that day, and every appointment starting that day with the patient's name and
 * date of birth, which front desk may read: the column grant on patients.dob).
 *
 * The appointments query drives from providers into appointments(provider_id,
 * scheduled_at), one index range scan per provider, so it stays fast at any table
 * size without a new index.
 */
import type { Transaction } from '../index.js';
import { appointmentColumns, toAppointment, type Appointment, type AppointmentRow } from './appointments.js';
import { assertDay, clinicDateOf, selected } from './common.js';

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

export interface DayInterval {
  /** Clinic-local 'HH:MM'. */
  start: string;
  /** Clinic-local 'HH:MM', '24:00' for the end of the day. */
  end: string;
}

export interface DayProvider {
  providerId: number;
  name: string;
  specialty: string;
  /** Every clinic-local working interval that weekday, by start (a lunch break makes two); empty when the provider does not work that day. */
  workingHours: DayInterval[];
  /** The provider's time off that falls on the day, clipped to it ('00:00'–'24:00'), by start. */
  timeOff: (DayInterval & { category: string })[];
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
  // One row per provider: the weekday's intervals and the day's time off are aggregated per
  // provider first and then joined (joining the raw rows would repeat a provider once per
  // interval). The day's bounds, weekday and zone are computed once (a MATERIALIZED CTE), not
  // per row: correlated subqueries re-evaluated clinic_day_range() for each provider (~10x slower).
  const { rows: providers } = await trx.raw<{
    rows: { provider_id: number; name: string; specialty: string; working_hours: DayInterval[]; time_off: (DayInterval & { category: string })[] }[];
  }>(
    `WITH d AS MATERIALIZED (
       SELECT extract(isodow FROM ?::date)::smallint AS dow, clinic_day_range(?::date) AS r, clinic_time_zone() AS tz
     ), wh AS (
       SELECT h.provider_id,
              json_agg(json_build_object('start', to_char(h.starts_at, 'HH24:MI'), 'end', to_char(h.ends_at, 'HH24:MI')) ORDER BY h.starts_at) AS items
         FROM provider_working_hours h, d
        WHERE h.iso_weekday = d.dow
        GROUP BY h.provider_id
     ), off AS (
       SELECT t.provider_id,
              json_agg(json_build_object(
                'start', to_char(greatest(lower(t.period), lower(d.r)) AT TIME ZONE d.tz, 'HH24:MI'),
                'end', CASE WHEN upper(t.period) >= upper(d.r) THEN '24:00' ELSE to_char(upper(t.period) AT TIME ZONE d.tz, 'HH24:MI') END,
                'category', t.category) ORDER BY lower(t.period)) AS items
         FROM provider_time_off t, d
        WHERE t.period && d.r
        GROUP BY t.provider_id
     )
     SELECT p.provider_id, p.name, p.specialty, coalesce(wh.items, '[]') AS working_hours, coalesce(off.items, '[]') AS time_off
       FROM providers p
       LEFT JOIN wh ON wh.provider_id = p.provider_id
       LEFT JOIN off ON off.provider_id = p.provider_id
      ORDER BY p.name, p.provider_id`,
    [day, day],
  );
  const rows: (AppointmentRow & { patient_name: string; patient_dob: string; overbook_reason: string | null })[] = await selected(trx('providers as p')
    .join('appointments as a', 'a.provider_id', 'p.provider_id')
    .join('patients as pt', 'pt.patient_id', 'a.patient_id')
    .select(appointmentColumns('a'))
    .select(trx.raw(`${clinicDateOf('a.scheduled_at')} AS clinic_date`), 'pt.name as patient_name', trx.raw(`to_char(pt.dob, 'YYYY-MM-DD') AS patient_dob`), 'a.overbook_reason')
    .whereRaw('a.scheduled_at >= lower(clinic_day_range(?::date))', [day])
    .whereRaw('a.scheduled_at < upper(clinic_day_range(?::date))', [day])
    .orderBy([{ column: 'a.scheduled_at' }, { column: 'a.appointment_id' }]));
  return {
    date: day,
    providers: providers.map((p) => ({
      providerId: p.provider_id,
      name: p.name,
      specialty: p.specialty,
      workingHours: p.working_hours,
      timeOff: p.time_off,
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
