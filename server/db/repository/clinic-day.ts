/**
 * The clinic as the front desk's day grid sees it: the clinic's settings, and one
 * whole clinic-local day in one round trip each (every provider, every working interval
 * that weekday and their time off that day, and every appointment starting that day with the patient's name and
 * date of birth, which front desk may read: the column grant on patients.dob).
 *
 * The day is one statement that also writes its audit row and builds the JSON body
 * (clinicDayAuditedJson).
 */
import type { Transaction } from '../index.js';
import type { Appointment } from './appointments.js';
import { assertDay, type Queryable } from './common.js';

export interface ClinicSettings {
  timeZone: string;
  /** The clinic-local date now, 'YYYY-MM-DD'. */
  today: string;
}

export async function clinicSettings(db: Queryable): Promise<ClinicSettings> {
  const { rows } = await db.raw<{ rows: { time_zone: string; today: string }[] }>(
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

/**
 * An ISO-8601 instant in UTC with milliseconds, as `Date.toISOString()` writes it (a JSON string);
 * null for what to_char cannot write ('infinity'), as json_build_object gave.
 */
const utcInstant = (column: string) => `coalesce('"' || to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || '"', 'null')`;

/**
 * One appointment of the day as JSON text, from a row `x` of the day's appointments and `d.day`.
 * Written out by concatenation rather than json_build_object: PostgreSQL 15's json_build_object
 * looks up every argument's output function on every row, which on a full weekday (about 5,000
 * appointments) took 55 of the statement's 85 ms; this text takes about half that for the same
 * object (docs/query-catalog.md, "The front desk's clinic day"). Numbers are integers; every
 * string that can hold anything (status, name, reason) goes through to_json(), which escapes it;
 * the one nullable column is written as null.
 */
const DAY_APPOINTMENT_JSON = [
  `'{"appointmentId":' || x.appointment_id`,
  `',"patientId":' || x.patient_id`,
  `',"providerId":' || x.provider_id`,
  `',"scheduledAt":' || ${utcInstant('x.scheduled_at')}`,
  `',"durationMin":' || x.duration_min`,
  `',"status":' || to_json(x.status)::text`,
  // Every row starts on the day asked for: that is its clinic-local date.
  `',"clinicDate":' || to_json(to_char(d.day, 'YYYY-MM-DD'))::text`,
  `',"createdAt":' || ${utcInstant('x.created_at')}`,
  `',"updatedAt":' || ${utcInstant('x.updated_at')}`,
  `',"patientName":' || to_json(x.patient_name)::text`,
  `',"patientDob":' || to_json(to_char(x.patient_dob, 'YYYY-MM-DD'))::text`,
  `',"overbookReason":' || coalesce(to_json(x.overbook_reason)::text, 'null') || '}'`,
].join('\n || ');

/**
 * The day's appointments `x` (with `d.day`) as the text between a JSON array's brackets, in the
 * grid's order (start, then id); '' for none. Every column but the coalesced one is NOT NULL;
 * should one ever not be, its element would be NULL and string_agg would skip it without a
 * word, so a NULL element is written as a JSON null, which no client takes for an appointment.
 */
export const DAY_APPOINTMENTS_JSON_TEXT = `coalesce(string_agg(coalesce(${DAY_APPOINTMENT_JSON}, 'null'), ',' ORDER BY x.scheduled_at, x.appointment_id), '')`;

/**
 * Every provider and every appointment (cancelled ones too) starting on clinic-local day `day`,
 * as the JSON text of a {@link ClinicDay}, and the durable audit row of the read (one row naming
 * every patient on the day; none when the day has no appointment), in ONE statement:
 *
 * - the audit row is written (by the autonomous writer, audit_read) before the statement returns
 *   anything: the JSON is built from the audit call's own one-row result, so no row leaves the
 *   database unrecorded, and nothing is returned if the audit fails;
 * - the body is built by PostgreSQL (the providers with json_agg, the appointments as text,
 *   {@link DAY_APPOINTMENTS_JSON_TEXT}) and passed through as text: Node neither parses a thousand
 *   rows nor builds and re-serialises their objects (at 300 providers that was most of the
 *   request; docs/query-catalog.md, "The front desk's clinic day");
 * - the patients join goes through row-level security as the caller (front desk: every
 *   patient's scheduling identity; name and dob are column grants).
 *
 * Instants are ISO-8601 in UTC with milliseconds, as `Date.toISOString()` writes them, so the
 * body is what `toAppointment` gave before.
 */
export async function clinicDayAuditedJson(trx: Transaction, day: string): Promise<string> {
  assertDay(day, 'date');
  // One row per provider: the weekday's intervals and the day's time off are aggregated per
  // provider first and then joined (joining the raw rows would repeat a provider once per
  // interval). The day's bounds, weekday and zone are computed once (a MATERIALIZED CTE), not
  // per row: correlated subqueries re-evaluated clinic_day_range() for each provider (~10x slower).
  // The appointments drive from providers into appointments(provider_id, scheduled_at): one
  // index range scan per provider, at any table size, without a new index.
  const { rows } = await trx.raw<{ rows: { body: string }[] }>(
    `WITH d AS MATERIALIZED (
       SELECT ?::date AS day, extract(isodow FROM ?::date)::smallint AS dow, clinic_day_range(?::date) AS r, clinic_time_zone() AS tz
     ), appts AS MATERIALIZED (
       SELECT a.appointment_id, a.patient_id, a.provider_id, a.scheduled_at, a.duration_min, a.status,
              a.created_at, a.updated_at, a.overbook_reason, pt.name AS patient_name, pt.dob AS patient_dob
         FROM d CROSS JOIN providers p
         -- OFFSET 0 keeps the lateral subquery a parameterised index range scan per provider: the
         -- day's bounds come from d, so the planner cannot estimate them and would otherwise
         -- read all of appointments (a seq scan of 1M rows for ~5,000).
         CROSS JOIN LATERAL (
           SELECT a.* FROM appointments a
            WHERE a.provider_id = p.provider_id AND a.scheduled_at >= lower(d.r) AND a.scheduled_at < upper(d.r)
           OFFSET 0
         ) a
         JOIN patients pt ON pt.patient_id = a.patient_id
     ), audit AS MATERIALIZED (
       SELECT audit_read('appointments', ARRAY(SELECT patient_id FROM appts)) AS audit_id
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
     SELECT '{"date":' || to_json(to_char(d.day, 'YYYY-MM-DD'))::text
            || ',"providers":' || (
                SELECT coalesce(json_agg(json_build_object(
                         'providerId', p.provider_id, 'name', p.name, 'specialty', p.specialty,
                         'workingHours', coalesce(wh.items, '[]'), 'timeOff', coalesce(off.items, '[]'))
                         ORDER BY p.name, p.provider_id), '[]')::text
                  FROM providers p
                  LEFT JOIN wh ON wh.provider_id = p.provider_id
                  LEFT JOIN off ON off.provider_id = p.provider_id)
            || ',"appointments":[' || (SELECT ${DAY_APPOINTMENTS_JSON_TEXT} FROM appts x) || ']}' AS body
       FROM d CROSS JOIN audit`,
    [day, day, day],
  );
  return rows[0]!.body;
}

/** The same day as objects (the clinic:watch snapshot), audited in the same statement. */
export async function clinicDayAudited(trx: Transaction, day: string): Promise<ClinicDay> {
  return JSON.parse(await clinicDayAuditedJson(trx, day)) as ClinicDay;
}

export interface StatusChange {
  kind: string;
  at: string;
  /** The staff member's username, or null when the change was not made by a signed-in person (seed, import). */
  by: string | null;
  byRole: string | null;
}

/** An appointment's changes, oldest first (appointment_status_history: outbox + its archive, appointment_history + audit log). */
export async function appointmentStatusHistory(trx: Transaction, appointmentId: number): Promise<StatusChange[]> {
  const { rows } = await trx.raw<{ rows: { kind: string; occurred_at: Date; actor_username: string | null; actor_role: string | null }[] }>(
    'SELECT kind, occurred_at, actor_username, actor_role FROM appointment_status_history(?)',
    [appointmentId],
  );
  return rows.map((r) => ({ kind: r.kind, at: r.occurred_at.toISOString(), by: r.actor_username, byRole: r.actor_role }));
}
