/**
 * The permission matrix: for every role the service can act as and every table and
 * view in the public schema, which of SELECT/INSERT/UPDATE/DELETE it holds. SELECT is
 * always a list of columns: every column a role can read is named here, one by one,
 * and no role but the backup holds SELECT on a whole relation (which would cover every
 * column added later: that is how clinicians came to read patients.legal_hold_reason,
 * issue 9, item 8). INSERT and UPDATE are 'all' (the relation) or a column list; DELETE
 * has no columns. Anything not listed is refused. test/security/permissions.test.ts checks
 * the catalog equals this file exactly, column by column, and runs real statements as
 * each role; a new table, view or column that someone can read without an entry here
 * fails that test, so every grant is reviewed.
 *
 * clinicpulse_backup is not listed per relation: it reads everything (pg_dump needs
 * that) and writes nothing, and the test checks exactly that for every relation.
 * clinicpulse_app is listed nowhere: it owns nothing and holds nothing of its own.
 * The owner, clinicpulse_owner, holds everything and is not a role the service uses.
 */

export const MATRIX_ROLES = [
  'front_desk',
  'clinician',
  'billing',
  'manager',
  'compliance',
  'clinicpulse_app',
  'clinicpulse_auth',
  'clinicpulse_realtime',
  'clinicpulse_backup',
] as const;
export type MatrixRole = (typeof MATRIX_ROLES)[number];

export const PRIVILEGES = ['SELECT', 'INSERT', 'UPDATE', 'DELETE'] as const;
export type Privilege = (typeof PRIVILEGES)[number];

/** 'all': granted on the relation; a list: granted on those columns only (DELETE has no columns). */
export type Grant = 'all' | readonly string[];

/** SELECT is never 'all': readable columns are listed, so a new column is readable by no one until granted. */
export interface RoleGrants {
  SELECT?: readonly string[];
  INSERT?: Grant;
  UPDATE?: Grant;
  DELETE?: 'all';
}

export interface RelationEntry {
  /** Why these roles hold these privileges (reviewed with every change). */
  why: string;
  front_desk?: RoleGrants;
  clinician?: RoleGrants;
  billing?: RoleGrants;
  manager?: RoleGrants;
  compliance?: RoleGrants;
  clinicpulse_auth?: RoleGrants;
  clinicpulse_realtime?: RoleGrants;
}

export const MATRIX: Record<string, RelationEntry> = {
  appointment_event_batches: {
    why: 'Outbox bookkeeping (ids only); read by the realtime service alone.',
    clinicpulse_realtime: { SELECT: ['txid', 'event_count', 'first_event_id', 'last_event_id', 'committed_at'] },
  },
  appointment_event_feed: {
    why: 'Outbox feed (ids, days, kinds; no PII); read by the realtime service alone.',
    clinicpulse_realtime: { SELECT: ['event_id', 'appointment_id', 'kind', 'provider_id', 'day', 'prev_provider_id', 'prev_day', 'days', 'occurred_at', 'committed_at', 'txid'] },
  },
  appointment_event_patients: {
    why: 'Patients renamed by a still-open transaction (ids only), written and emptied by the outbox triggers with the owner\'s rights; no role touches it.',
  },
  appointment_series: {
    why: 'A recurring booking (names a patient: RLS, audited): the front desk books and reads series; created_by is derived.',
    front_desk: { SELECT: ['series_id', 'patient_id', 'provider_id', 'every', 'occurrences', 'created_by', 'created_at'], INSERT: ['patient_id', 'provider_id', 'every', 'occurrences'] },
  },
  appointment_freed_slots: {
    why: 'Time freed by cancellations and moves (ids and ranges, no patient), beside the outbox; read by the realtime service alone for waitlist offers.',
    clinicpulse_realtime: { SELECT: ['freed_id', 'txid', 'appointment_id', 'provider_id', 'freed'] },
  },
  appointment_events: {
    why: 'Outbox rows (ids only); read by the realtime service alone.',
    clinicpulse_realtime: { SELECT: ['txid', 'ordinal', 'appointment_id', 'kind', 'provider_id', 'day', 'prev_provider_id', 'prev_day', 'days', 'occurred_at'] },
  },
  appointment_history: {
    why: 'Changes the outbox pruned (ids and kinds, no PII), kept by prune_appointment_events() with the owner\'s rights; no role touches it: the front desk reads it through appointment_status_history().',
  },
  appointment_events_retention: {
    why: 'Outbox pruning watermark; realtime service only.',
    clinicpulse_realtime: { SELECT: ['singleton', 'pruned_through'] },
  },
  appointment_monthly_minutes: {
    why: 'Booked minutes per provider-month behind provider_utilisation (no patient, no appointment): managers only.',
    manager: { SELECT: ['provider_id', 'month', 'booked_minutes'] },
  },
  appointment_monthly_stats: {
    why: 'Per provider-month counters behind the analytics views (no patient, no appointment): managers only.',
    manager: { SELECT: ['provider_id', 'month', 'total', 'scheduled', 'checked_in', 'completed', 'cancelled', 'no_show'] },
  },
  appointments: {
    why: 'Front desk books (status defaults to scheduled), reschedules and changes status (never to completed: policy); clinicians read their schedule and their patients\' appointments and complete their own.',
    clinician: { SELECT: ['appointment_id', 'patient_id', 'provider_id', 'scheduled_at', 'duration_min', 'status', 'created_at', 'updated_at', 'outside_hours_reason', 'overbook_reason', 'overbook_lane', 'series_id', 'checked_in_at'], UPDATE: ['status'] },
    front_desk: {
      INSERT: ['patient_id', 'provider_id', 'scheduled_at', 'duration_min', 'outside_hours_reason', 'overbook_reason', 'overbook_lane', 'series_id'],
      SELECT: ['appointment_id', 'patient_id', 'provider_id', 'scheduled_at', 'duration_min', 'status', 'created_at', 'updated_at', 'outside_hours_reason', 'overbook_reason', 'overbook_lane', 'series_id', 'checked_in_at'],
      UPDATE: ['provider_id', 'scheduled_at', 'duration_min', 'status', 'outside_hours_reason'],
    },
  },
  audit_chain: {
    why: 'The audit log\'s hash chain (ids and hashes): written by the owner-rights commit trigger, checked by the administrator (npm run audit:verify).',
  },
  audit_chain_head: {
    why: 'The chain\'s serialisation row, updated by the owner-rights commit trigger only.',
  },
  audit_log: {
    why: 'Compliance reads it; only the database writes it (20261125000006_audit).',
    compliance: { SELECT: ['audit_id', 'at', 'txid', 'actor_user_id', 'actor_role', 'action', 'severity', 'table_name', 'row_key', 'patient_id', 'changed_columns', 'patient_ids'] },
  },
  billing_charges: {
    why: 'Billing\'s working view: a charge with name, dob, provider, payer.',
    billing: { SELECT: ['charge_id', 'visit_id', 'patient_id', 'patient_name', 'patient_dob', 'provider_id', 'provider_name', 'service_date', 'amount_cents', 'currency', 'status', 'payer', 'created_at', 'updated_at'] },
  },
  break_glass_grants: {
    why: 'Written only by break_glass(); a clinician reads their own (RLS), compliance reviews all.',
    clinician: { SELECT: ['grant_id', 'user_id', 'patient_id', 'reason', 'granted_at', 'expires_at'] },
    compliance: { SELECT: ['grant_id', 'user_id', 'patient_id', 'reason', 'granted_at', 'expires_at'] },
  },
  charges: {
    why: 'Opened by the database; billing prices, submits and settles (no INSERT, no DELETE: void instead).',
    billing: { SELECT: ['charge_id', 'visit_id', 'patient_id', 'provider_id', 'service_date', 'amount_cents', 'currency', 'status', 'payer', 'created_at', 'updated_at'], UPDATE: ['amount_cents', 'currency', 'status', 'payer'] },
  },
  clinic_settings: {
    why: 'The clinic time zone: every clinic-day helper reads it as the caller.',
    billing: { SELECT: ['singleton', 'time_zone', 'updated_at'] },
    clinician: { SELECT: ['singleton', 'time_zone', 'updated_at'] },
    compliance: { SELECT: ['singleton', 'time_zone', 'updated_at'] },
    front_desk: { SELECT: ['singleton', 'time_zone', 'updated_at'] },
    manager: { SELECT: ['singleton', 'time_zone', 'updated_at'] },
  },
  diagnoses: {
    why: 'Clinicians write at their own visits and see only ids (RETURNING); content only via the audited patient_visits().',
    clinician: { INSERT: ['visit_id', 'code', 'description'], SELECT: ['diagnosis_id', 'visit_id'] },
  },
  erasures: {
    why: 'The erasure ledger (who asked, outcome, legal-hold reason): compliance reads it; erase_patient() writes it.',
    compliance: { SELECT: ['erasure_id', 'patient_id', 'outcome', 'requested_by', 'requested_role', 'requested_at', 'reason', 'legal_hold_reason', 'audit_id'] },
  },
  http_sessions: {
    why: 'Session store: the sign-in role only.',
    clinicpulse_auth: { DELETE: 'all', INSERT: 'all', SELECT: ['sid', 'user_id', 'sess', 'expires_at', 'created_at'], UPDATE: 'all' },
  },
  icd10_codes: {
    why: 'The ICD-10-CM codes offered when recording a diagnosis (reference data, no patient content): clinicians search it.',
    clinician: { SELECT: ['code', 'description', 'search_text'] },
  },
  knex_migrations: {
    why: 'Migration bookkeeping; nobody but the migrator (and backups).',
  },
  knex_migrations_lock: {
    why: 'Migration bookkeeping; nobody but the migrator (and backups).',
  },
  login_throttle: {
    why: 'Failed sign-in counts (hashed keys); only the owner-rights login_throttle_* functions, which the sign-in role may call, touch it.',
  },
  master_key_check: {
    why: 'The id of the master key (never the key), compared at start-up on the administrator\'s connection; no service role touches it.',
  },
  master_key_registration: {
    why: 'The registered master key\'s id and proof digest: only the owner-rights key functions read it.',
  },
  master_key_retirements: {
    why: 'Ids of master keys retired by npm run keys:rotate; only the administrator (rotation, start-up check) reads or writes it.',
  },
  medications: {
    why: 'The formulary: clinicians prescribe from it.',
    clinician: { SELECT: ['medication_id', 'name', 'form', 'strength'] },
  },
  patient_keys: {
    why: 'Wrapped per-patient data keys: nobody reads them directly; only the owner-rights encryption functions do.',
  },
  patient_summary: {
    why: 'Front desk\'s patient card: name, birth year, masked contact.',
    front_desk: { SELECT: ['patient_id', 'name', 'birth_year', 'email_masked', 'phone_last4', 'created_at'] },
  },
  patient_name_suffixes: {
    why: 'The front-desk search index (name suffixes, a copy of the name, patient ids), kept by triggers and read only by patient_name_candidates with the owner\'s rights; no role touches it.',
  },
  patients: {
    why: 'Front desk: identity + masked contact, registers and corrects; clinicians: their own patients in full (RLS) but not legal_hold_reason (compliance\'s record of litigation); billing: name and dob of billed patients (RLS); compliance: identity and erasure/hold state, to find the person to erase and name audit entries (no contact).',
    billing: { SELECT: ['patient_id', 'name', 'dob'] },
    clinician: { SELECT: ['patient_id', 'name', 'dob', 'email', 'phone', 'created_at', 'email_masked', 'phone_last4', 'erased_at'] },
    compliance: { SELECT: ['patient_id', 'name', 'dob', 'created_at', 'legal_hold_reason', 'erased_at'] },
    front_desk: { INSERT: ['name', 'dob', 'email', 'phone'], SELECT: ['patient_id', 'name', 'dob', 'created_at', 'email_masked', 'phone_last4'], UPDATE: ['name', 'dob', 'email', 'phone'] },
  },
  prescriptions: {
    why: 'Clinicians write at their own visits and see only ids; content only via the audited patient_prescriptions()/patient_visits().',
    clinician: { INSERT: ['visit_id', 'medication_id', 'dosage', 'start_date', 'end_date'], SELECT: ['prescription_id', 'visit_id'] },
  },
  provider_monthly_volume: {
    why: 'Aggregate: managers only.',
    manager: { SELECT: ['provider_id', 'provider_name', 'month', 'appointments'] },
  },
  provider_no_show_rate: {
    why: 'Aggregate: managers only.',
    manager: { SELECT: ['provider_id', 'provider_name', 'month', 'completed', 'no_shows', 'rate'] },
  },
  provider_utilisation: {
    why: 'Aggregate: managers only.',
    manager: { SELECT: ['provider_id', 'provider_name', 'month', 'booked_minutes', 'working_minutes', 'utilisation'] },
  },
  provider_time_off: {
    why: 'Availability: everyone who books or sees a schedule reads it; managers record and delete it (created_by is derived, never written).',
    clinician: { SELECT: ['time_off_id', 'provider_id', 'period', 'category', 'note', 'created_by', 'created_at'] },
    front_desk: { SELECT: ['time_off_id', 'provider_id', 'period', 'category', 'note', 'created_by', 'created_at'] },
    manager: { SELECT: ['time_off_id', 'provider_id', 'period', 'category', 'note', 'created_by', 'created_at'], INSERT: ['provider_id', 'period', 'category', 'note'], DELETE: 'all' },
  },
  provider_working_hours: {
    why: 'Scheduling reference: front desk, clinicians, managers; managers replace a provider\'s week (delete + insert).',
    clinician: { SELECT: ['provider_id', 'iso_weekday', 'starts_at', 'ends_at'] },
    front_desk: { SELECT: ['provider_id', 'iso_weekday', 'starts_at', 'ends_at'] },
    manager: { SELECT: ['provider_id', 'iso_weekday', 'starts_at', 'ends_at'], INSERT: 'all', DELETE: 'all' },
  },
  providers: {
    why: 'Reference data every staff member may read; managers set how many overbooks a provider takes.',
    billing: { SELECT: ['provider_id', 'name', 'specialty'] },
    clinician: { SELECT: ['provider_id', 'name', 'specialty', 'overbook_limit'] },
    compliance: { SELECT: ['provider_id', 'name', 'specialty'] },
    front_desk: { SELECT: ['provider_id', 'name', 'specialty', 'overbook_limit'] },
    manager: { SELECT: ['provider_id', 'name', 'specialty', 'overbook_limit'], UPDATE: ['overbook_limit'] },
  },
  staff_login_failures: {
    why: 'Consecutive failed sign-ins and lock-outs per account; only the owner-rights staff_login_failed/_succeeded functions, which the sign-in role may call, touch it (administrators unlock on their own connection).',
  },
  staff_users: {
    why: 'Own account for everyone (RLS), all accounts and (de)activation for compliance; password_hash for nobody (sign-in uses staff_login_lookup()).',
    billing: { SELECT: ['user_id', 'username', 'role', 'provider_id', 'active', 'created_at', 'deactivated_at'] },
    clinician: { SELECT: ['user_id', 'username', 'role', 'provider_id', 'active', 'created_at', 'deactivated_at'] },
    compliance: { SELECT: ['user_id', 'username', 'role', 'provider_id', 'active', 'created_at', 'deactivated_at'], UPDATE: ['active', 'deactivated_at'] },
    front_desk: { SELECT: ['user_id', 'username', 'role', 'provider_id', 'active', 'created_at', 'deactivated_at'] },
    manager: { SELECT: ['user_id', 'username', 'role', 'provider_id', 'active', 'created_at', 'deactivated_at'] },
  },
  upcoming_appointments: {
    why: 'The schedule with patient names, RLS of the reader (security_invoker).',
    clinician: { SELECT: ['appointment_id', 'scheduled_at', 'duration_min', 'status', 'clinic_date', 'provider_id', 'provider_name', 'patient_id', 'patient_name'] },
    front_desk: { SELECT: ['appointment_id', 'scheduled_at', 'duration_min', 'status', 'clinic_date', 'provider_id', 'provider_name', 'patient_id', 'patient_name'] },
  },
  waitlist_entries: {
    why: 'Patient data (RLS, audited): the front desk adds, reads and removes entries; created_by is derived, never written. Offers reach the realtime service only through waitlist_offer_candidates().',
    front_desk: { SELECT: ['waitlist_id', 'patient_id', 'provider_id', 'specialty', 'earliest', 'latest', 'duration_min', 'note', 'created_by', 'created_at'], INSERT: ['patient_id', 'provider_id', 'specialty', 'earliest', 'latest', 'duration_min', 'note'], DELETE: 'all' },
  },
  visit_notes: {
    why: 'Encrypted clinical notes: no direct access at all; written and read (audited) through the definer note functions.',
  },
  visits: {
    why: 'Clinicians open and close visits of their own appointments and see ids only; content only via the audited patient_visits().',
    clinician: { INSERT: ['appointment_id', 'patient_id', 'started_at', 'completed_at'], SELECT: ['visit_id', 'appointment_id', 'patient_id'], UPDATE: ['completed_at'] },
  },
};
