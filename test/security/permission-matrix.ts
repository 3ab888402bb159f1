/**
 * The permission matrix: for every role the service can act as and every table and
 * view in the public schema, which of SELECT/INSERT/UPDATE/DELETE it holds, on the
 * whole relation ('all') or on the listed columns only. Anything not listed is
 * refused. test/security/permissions.test.ts checks the catalog equals this file
 * exactly, column by column, and runs real statements as each role; a new table, view
 * or column without an entry here fails that test, so every grant is reviewed.
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

export type RoleGrants = Partial<Record<Privilege, Grant>>;

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
    clinicpulse_realtime: { SELECT: 'all' },
  },
  appointment_event_feed: {
    why: 'Outbox feed (ids, days, kinds; no PII); read by the realtime service alone.',
    clinicpulse_realtime: { SELECT: 'all' },
  },
  appointment_event_patients: {
    why: 'Patients renamed by a still-open transaction (ids only), written and emptied by the outbox triggers with the owner\'s rights; no role touches it.',
  },
  appointment_events: {
    why: 'Outbox rows (ids only); read by the realtime service alone.',
    clinicpulse_realtime: { SELECT: 'all' },
  },
  appointment_events_retention: {
    why: 'Outbox pruning watermark; realtime service only.',
    clinicpulse_realtime: { SELECT: 'all' },
  },
  appointment_monthly_minutes: {
    why: 'Booked minutes per provider-month behind provider_utilisation (no patient, no appointment): managers only.',
    manager: { SELECT: 'all' },
  },
  appointment_monthly_stats: {
    why: 'Per provider-month counters behind the analytics views (no patient, no appointment): managers only.',
    manager: { SELECT: 'all' },
  },
  appointments: {
    why: 'Front desk books (status defaults to scheduled), reschedules and changes status (never to completed: policy); clinicians read their schedule and their patients\' appointments and complete their own.',
    clinician: { SELECT: 'all', UPDATE: ['status'] },
    front_desk: { INSERT: ['patient_id', 'provider_id', 'scheduled_at', 'duration_min'], SELECT: 'all', UPDATE: ['provider_id', 'scheduled_at', 'duration_min', 'status'] },
  },
  audit_log: {
    why: 'Compliance reads it; only the database writes it (20261125000006_audit).',
    compliance: { SELECT: 'all' },
  },
  billing_charges: {
    why: 'Billing\'s working view: a charge with name, dob, provider, payer.',
    billing: { SELECT: 'all' },
  },
  break_glass_grants: {
    why: 'Written only by break_glass(); a clinician reads their own (RLS), compliance reviews all.',
    clinician: { SELECT: 'all' },
    compliance: { SELECT: 'all' },
  },
  charges: {
    why: 'Opened by the database; billing prices, submits and settles (no INSERT, no DELETE: void instead).',
    billing: { SELECT: 'all', UPDATE: ['amount_cents', 'currency', 'status', 'payer'] },
  },
  clinic_settings: {
    why: 'The clinic time zone: every clinic-day helper reads it as the caller.',
    billing: { SELECT: 'all' },
    clinician: { SELECT: 'all' },
    compliance: { SELECT: 'all' },
    front_desk: { SELECT: 'all' },
    manager: { SELECT: 'all' },
  },
  diagnoses: {
    why: 'Clinicians write at their own visits and see only ids (RETURNING); content only via the audited patient_visits().',
    clinician: { INSERT: ['visit_id', 'code', 'description'], SELECT: ['diagnosis_id', 'visit_id'] },
  },
  erasures: {
    why: 'The erasure ledger (who asked, outcome, legal-hold reason): compliance reads it; erase_patient() writes it.',
    compliance: { SELECT: 'all' },
  },
  http_sessions: {
    why: 'Session store: the sign-in role only.',
    clinicpulse_auth: { DELETE: 'all', INSERT: 'all', SELECT: 'all', UPDATE: 'all' },
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
  master_key_retirements: {
    why: 'Ids of master keys retired by npm run keys:rotate; only the administrator (rotation, start-up check) reads or writes it.',
  },
  medications: {
    why: 'The formulary: clinicians prescribe from it.',
    clinician: { SELECT: 'all' },
  },
  patient_keys: {
    why: 'Wrapped per-patient data keys: nobody reads them directly; only the owner-rights encryption functions do.',
  },
  patient_summary: {
    why: 'Front desk\'s patient card: name, birth year, masked contact.',
    front_desk: { SELECT: 'all' },
  },
  patients: {
    why: 'Front desk: identity + masked contact, registers and corrects; clinicians: their own patients in full (RLS); billing: name and dob of billed patients (RLS).',
    billing: { SELECT: ['patient_id', 'name', 'dob'] },
    clinician: { SELECT: 'all' },
    front_desk: { INSERT: ['name', 'dob', 'email', 'phone'], SELECT: ['patient_id', 'name', 'dob', 'created_at', 'email_masked', 'phone_last4'], UPDATE: ['name', 'dob', 'email', 'phone'] },
  },
  prescriptions: {
    why: 'Clinicians write at their own visits and see only ids; content only via the audited patient_prescriptions()/patient_visits().',
    clinician: { INSERT: ['visit_id', 'medication_id', 'dosage', 'start_date', 'end_date'], SELECT: ['prescription_id', 'visit_id'] },
  },
  provider_monthly_volume: {
    why: 'Aggregate: managers only.',
    manager: { SELECT: 'all' },
  },
  provider_no_show_rate: {
    why: 'Aggregate: managers only.',
    manager: { SELECT: 'all' },
  },
  provider_utilisation: {
    why: 'Aggregate: managers only.',
    manager: { SELECT: 'all' },
  },
  provider_working_hours: {
    why: 'Scheduling reference: front desk, clinicians, managers.',
    clinician: { SELECT: 'all' },
    front_desk: { SELECT: 'all' },
    manager: { SELECT: 'all' },
  },
  providers: {
    why: 'Reference data every staff member may read.',
    billing: { SELECT: 'all' },
    clinician: { SELECT: 'all' },
    compliance: { SELECT: 'all' },
    front_desk: { SELECT: 'all' },
    manager: { SELECT: 'all' },
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
    clinician: { SELECT: 'all' },
    front_desk: { SELECT: 'all' },
  },
  visit_notes: {
    why: 'Encrypted clinical notes: no direct access at all; written and read (audited) through the definer note functions.',
  },
  visits: {
    why: 'Clinicians open and close visits of their own appointments and see ids only; content only via the audited patient_visits().',
    clinician: { INSERT: ['appointment_id', 'patient_id', 'started_at', 'completed_at'], SELECT: ['visit_id', 'appointment_id', 'patient_id'], UPDATE: ['completed_at'] },
  },
};
