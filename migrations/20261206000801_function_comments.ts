/**
 * COMMENT ON the functions the first migrations created without one, so the data
 * dictionary (docs/data-dictionary.md) says what every function is for; the text
 * condenses the SQL comments beside each definition. test/comments.test.ts now
 * requires a comment on every function.
 */
import type { Knex } from 'knex';
import { asOwner } from './support.js';

const COMMENTS: Record<string, string> = {
  'app_user_id_setting()': 'The transaction-local setting app.user_id as an integer; NULL when missing, empty or not a number (never an error).',
  'appointment_stats_apply()': 'Statement trigger on appointments: turns the transition tables into per-(provider, clinic month, status) deltas and merges them into appointment_monthly_stats in the same transaction.',
  'appointment_stats_merge(appointment_stats_delta[])': 'Adds deltas to appointment_monthly_stats, one write per key, keys locked in sorted order so concurrent bookings cannot deadlock on the counters.',
  'appointment_stats_rebuild()': 'Recounts appointment_monthly_stats from the appointments rows (after a clinic time zone change), holding SHARE on appointments so in-flight writers finish first and new ones wait.',
  'appointment_stats_truncated()': 'After TRUNCATE of appointments (which fires no row or statement DML triggers): empties the monthly counters.',
  'appointments_guard_update()': 'The appointment state machine: scheduled to checked_in to completed, scheduled or checked_in to cancelled, scheduled to no_show; final states stay final and only a scheduled appointment can move. SQLSTATE 23514 otherwise.',
  'clinic_day(timestamp with time zone)': 'The clinic-local calendar day of an instant, in clinic_settings.time_zone.',
  'clinic_day_range(date)': 'The half-open instant range [local midnight, next local midnight) of a clinic day: 23 or 25 hours across DST.',
  'clinic_month(timestamp with time zone)': 'The first day of the clinic-local month of an instant.',
  'clinic_settings_changed()': 'Before UPDATE of clinic_settings: stamps updated_at.',
  'clinic_settings_keep_row()': 'Refuses DELETE and TRUNCATE of the single clinic_settings row: without it every clinic day and month would be NULL.',
  'clinic_settings_rebuild_stats()': 'After the clinic time zone changes: rebuilds the monthly counters, whose months depend on it.',
  'clinic_time_zone()': "The clinic's IANA time zone (clinic_settings.time_zone); every clinic day and month is in it.",
  'current_staff_provider_id()': 'The provider the acting clinician is linked to; NULL for other roles or without a valid identity.',
  'current_staff_user_id()': "The acting staff user: app.user_id when it names an active account whose role is the current role, else NULL. Security invoker on purpose: current_user must be the caller's role.",
  'is_valid_time_zone(text)': 'Whether PostgreSQL knows the named time zone (the check on clinic_settings.time_zone).',
  'staff_identity(integer,text)': 'Whether (user, role) is an active account holding that role, plus its provider. Security definer because staff roles cannot read staff_users; it answers only that.',
  'staff_login_lookup(text)': 'Sign-in: the only way to read a password hash, by exact username, for clinicpulse_auth alone.',
  'staff_session_user(integer)': "A session's account as it is now (active, role, provider), re-read by the session store on every request and by the realtime layer.",
  'staff_users_end_sessions()': 'After an account is deactivated or its role or password changes: deletes its sessions, so it is signed out everywhere at once.',
  'visits_require_arrival()': 'A visit only for a checked-in or completed appointment of the same patient, locking the appointment row (FOR NO KEY UPDATE) so a concurrent cancel cannot slip between.',
};

const literal = (s: string) => `'${s.replaceAll("'", "''")}'`;

export async function up(knex: Knex): Promise<void> {
  await asOwner(knex, Object.entries(COMMENTS).map(([fn, text]) => `COMMENT ON FUNCTION ${fn} IS ${literal(text)};`).join('\n'));
}

export async function down(knex: Knex): Promise<void> {
  await asOwner(knex, Object.keys(COMMENTS).map((fn) => `COMMENT ON FUNCTION ${fn} IS NULL;`).join('\n'));
}
