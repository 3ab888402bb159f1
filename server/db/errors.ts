/**
 * The one place PostgreSQL errors become domain errors (server/domain/errors.ts); the HTTP
 * edge (server/http/errors.ts) gives each its status. Branch on SQLSTATE and constraint
 * name, never on message text.
 * SQLSTATEs: https://www.postgresql.org/docs/15/errcodes-appendix.html
 */
import { DBError } from 'objection';
import { DomainError, type DomainErrorKind } from '../domain/errors.js';
import { isStalePreparedStatement } from './knex.js';

export const SqlState = {
  checkViolation: '23514',
  notNullViolation: '23502',
  foreignKeyViolation: '23503',
  uniqueViolation: '23505',
  exclusionViolation: '23P01',
  serializationFailure: '40001',
  deadlockDetected: '40P01',
  insufficientPrivilege: '42501',
  invalidTextRepresentation: '22P02',
  invalidDatetimeFormat: '22007',
  datetimeFieldOverflow: '22008',
  numericValueOutOfRange: '22003',
  stringDataRightTruncation: '22001',
  invalidParameterValue: '22023',
  /** A NUL (U+0000) in a text value: PostgreSQL cannot store it. */
  characterNotInRepertoire: '22021',
  raiseException: 'P0001',
  queryCanceled: '57014',
} as const;

export interface PgError extends Error {
  code?: string;
  constraint?: string;
  table?: string;
  column?: string;
  detail?: string;
}

export function isPgError(err: unknown): err is PgError {
  return err instanceof Error && typeof (err as PgError).code === 'string' && /^[0-9A-Z]{5}$/.test((err as PgError).code!);
}

/**
 * The driver's error behind `err`: objection (server/db/repository/models.ts) wraps pg's
 * errors in its DBError classes and keeps the original as `nativeError`; every decision
 * below reads pg's own SQLSTATE and constraint, whichever query layer raised it.
 */
export function driverError(err: unknown): unknown {
  return err instanceof DBError ? err.nativeError : err;
}

/**
 * Serialization failures, deadlocks, and a prepared statement its connection could no longer
 * run (that connection is retired: knex.ts): the whole transaction may be retried.
 */
export function isRetryable(err: unknown): boolean {
  const e = driverError(err);
  return isPgError(e) && (e.code === SqlState.serializationFailure || e.code === SqlState.deadlockDetected || isStalePreparedStatement(e));
}

const constraintMessages: Record<string, [DomainErrorKind, string, string]> = {
  appointments_no_provider_overlap: ['conflict', 'double_booking', 'The provider already has an appointment at that time.'],
  appointments_no_patient_overlap: ['conflict', 'patient_double_booking', 'The patient already has an appointment at that time.'],
  appointments_status_transition: ['conflict', 'invalid_transition', 'That status change is not allowed.'],
  appointments_reschedule_only_scheduled: ['conflict', 'invalid_transition', 'Only a scheduled appointment can be rescheduled.'],
  appointments_patient_fixed: ['conflict', 'invalid_transition', 'An appointment cannot be moved to another patient.'],
  appointments_visit_requires_arrival: ['conflict', 'invalid_transition', 'An appointment with a visit cannot be cancelled.'],
  visits_require_arrival: ['conflict', 'invalid_transition', 'A visit needs a checked-in appointment.'],
  visits_appointment_id_key: ['conflict', 'conflict', 'This appointment already has a visit.'],
  patients_email_key: ['conflict', 'duplicate_email', 'Another patient already uses that email address.'],
  medications_unique_idx: ['conflict', 'duplicate_medication', 'That medication is already in the formulary.'],
  diagnoses_visit_code_key: ['conflict', 'duplicate_diagnosis', 'The same diagnosis code is listed twice for this visit.'],
  appointments_duration_min_check: ['invalid', 'invalid_request', 'An appointment lasts 5 to 480 minutes.'],
  diagnoses_code_icd10cm: ['invalid', 'invalid_request', 'A diagnosis code must be an ICD-10-CM code such as E11.9 or I10.'],
  prescriptions_dates_ordered: ['invalid', 'invalid_request', 'A prescription cannot end before it starts.'],
  patients_dob_not_future: ['invalid', 'invalid_request', 'A date of birth cannot be in the future.'],
  patients_email_lowercase: ['invalid', 'invalid_request', 'Email addresses are stored in lowercase.'],
  clinic_settings_time_zone_valid: ['invalid', 'invalid_request', 'That is not an IANA time zone name (e.g. America/New_York).'],
  clinic_settings_singleton: ['conflict', 'conflict', 'The clinic has exactly one settings row; update it instead.'],
  // Raised by the security functions (migrations 20261125000010, …21); a patient the caller may not reach reads as absent.
  erasures_patient_id_fkey: ['not_found', 'not_found', 'No such patient.'],
  visit_notes_clinical_access: ['not_found', 'not_found', 'No such patient.'],
  visit_notes_own_visit: ['forbidden', 'forbidden', 'Notes are written by the clinician of the visit.'],
  patients_erased: ['conflict', 'patient_erased', 'This patient was erased; their record can no longer change.'],
  // Access control (migration 20261125000010): break-the-glass and charges.
  break_glass_clinician_only: ['forbidden', 'forbidden', 'Break-the-glass is for a signed-in clinician.'],
  break_glass_grants_reason_length: ['invalid', 'invalid_request', 'Break-the-glass needs a reason of 10 to 1000 characters.'],
  break_glass_grants_duration: ['invalid', 'invalid_request', 'Break-the-glass lasts 1 to 240 minutes.'],
  break_glass_grants_patient_id_fkey: ['not_found', 'not_found', 'No such patient.'],
  charges_status_transition: ['conflict', 'invalid_transition', 'That charge status change is not allowed.'],
  charges_settled_fixed: ['conflict', 'invalid_transition', 'A paid or void charge can no longer change.'],
  charges_priced_before_submission: ['invalid', 'invalid_request', 'A charge needs an amount and a payer before it is submitted.'],
  charges_amount_positive: ['invalid', 'invalid_request', 'A charge amount must be positive.'],
  charges_currency_iso4217: ['invalid', 'invalid_request', 'A currency is a three-letter ISO 4217 code.'],
  // Audit and erasure (migrations 20261125000006, …21).
  audit_log_append_only: ['forbidden', 'forbidden', 'The audit log is append-only.'],
  audit_event_action_reserved: ['forbidden', 'forbidden', 'That audit action is recorded by the database itself.'],
  erasure_compliance_only: ['forbidden', 'forbidden', 'Only a signed-in compliance officer may erase patients or place legal holds.'],
  erasures_reason_length: ['invalid', 'invalid_request', 'An erasure needs a reason of 5 to 1000 characters.'],
  patients_legal_hold_reason_length: ['invalid', 'invalid_request', 'A legal hold needs a reason of 5 to 500 characters.'],
  patients_legal_hold: ['conflict', 'legal_hold', 'This patient is under legal hold; the erasure was refused and the refusal recorded.'],
  // Overbooking (migration 20261206000603).
  appointments_no_overbook_overlap: ['conflict', 'overbook_full', "That time already has as many overbooks as the provider allows; choose another time (GET /api/slots) or ask a manager to raise the provider's overbook limit."],
  appointments_overbook_limit: ['conflict', 'overbook_not_allowed', "The provider's overbook limit does not allow another overbook at that time."],
  appointments_overbook_reason_length: ['invalid', 'invalid_request', 'An overbook needs a reason of 10 to 500 characters.'],
  appointments_overbook_consistent: ['invalid', 'invalid_request', 'An overbook needs both a reason and a lane.'],
  providers_overbook_limit_range: ['invalid', 'invalid_request', 'An overbook limit is 0 to 5.'],
  // Availability (migration 20261206000600).
  appointments_outside_hours_reason_length: ['invalid', 'invalid_request', 'outsideHoursReason must be 5 to 500 characters.'],
  provider_time_off_no_overlap: ['conflict', 'time_off_overlap', 'The provider already has time off overlapping that period; change or delete it first.'],
  provider_time_off_period_shape: ['invalid', 'invalid_request', 'Time off must end after it starts and last at most 366 days.'],
  provider_working_hours_no_overlap: ['invalid', 'invalid_request', 'Working-hours intervals of one weekday must not overlap.'],
  provider_working_hours_pkey: ['invalid', 'invalid_request', 'Two working-hours intervals of one weekday start at the same time.'],
  provider_working_hours_ordered: ['invalid', 'invalid_request', 'A working-hours interval must end after it starts.'],
  visit_notes_patient_key: ['conflict', 'conflict', 'The patient has no data key yet; save the note again.'],
  // Key store (migration 20261206000202): only the registered master key's holder stores data keys.
  master_key_proof: ['unavailable', 'encryption_unavailable', 'The configured master key is not the one registered for this database.'],
  patient_keys_wrapped_key_shape: ['invalid', 'invalid_request', 'A wrapped data key is 69 bytes in the service\'s format.'],
};

/**
 * The desk rules (migration 20261206000600) put clinic-local times in the DETAIL as JSON;
 * the message says what to do instead, the details carry the times.
 */
type DeskDetail = Record<string, unknown> & { start?: string; end?: string; now?: string; today?: string; appointmentDay?: string };
const deskRules: Record<string, (d: DeskDetail) => [string, string]> = {
  appointments_not_in_the_past: (d) => [
    'in_the_past',
    `${d.start ?? 'That start'} (clinic time) has already passed (it is now ${d.now ?? 'later'}); choose a later start. ` +
      'To record what already happened, use check-in, no-show or cancel on the existing appointment.',
  ],
  appointments_no_show_after_start: (d) => [
    'too_early',
    `The appointment starts at ${d.start ?? 'a later time'} (clinic time); a no-show can be recorded only after that. ` +
      'If the patient has called off, cancel the appointment instead.',
  ],
  appointments_check_in_on_the_day: (d) => [
    'not_today',
    `The appointment is on ${d.appointmentDay ?? 'another day'} and today is ${d.today ?? 'a different day'} (clinic time); ` +
      'check in only on its day. If the patient came on another day, reschedule the appointment to a time today first.',
  ],
  appointments_within_working_hours: (d) => [
    'outside_working_hours',
    `${d.start ?? 'That time'} to ${d.end?.slice(11) ?? 'its end'} (clinic time) is outside the provider's working hours or during their time off; ` +
      'choose a time inside their hours (GET /api/slots lists free ones), or give outsideHoursReason to book it anyway.',
  ],
};

function deskRuleError(err: PgError): DomainError | undefined {
  const make = err.constraint ? deskRules[err.constraint] : undefined;
  if (!make) return undefined;
  let detail: DeskDetail = {};
  try {
    detail = JSON.parse(err.detail ?? '{}') as DeskDetail;
  } catch {
    // No details: the message still says what to do.
  }
  const [code, message] = make(detail);
  return new DomainError('conflict', code, message, { constraint: err.constraint, ...detail });
}

/**
 * Map a database error to a DomainError, or return undefined when it is not the
 * client's doing (the edge then answers 500 with an error id).
 */
export function fromPgError(wrapped: unknown): DomainError | undefined {
  const err = driverError(wrapped);
  if (!isPgError(err)) return undefined;
  const desk = deskRuleError(err);
  if (desk) return desk;
  const known = err.constraint ? constraintMessages[err.constraint] : undefined;
  if (known) return new DomainError(known[0], known[1], known[2], { constraint: err.constraint });
  switch (err.code) {
    case SqlState.exclusionViolation:
      return new DomainError('conflict', 'conflict', 'That change overlaps an existing record.', { constraint: err.constraint });
    case SqlState.uniqueViolation:
      return new DomainError('conflict', 'conflict', 'A record with those values already exists.', { constraint: err.constraint });
    case SqlState.foreignKeyViolation:
      return new DomainError(err.detail?.includes('is still referenced') ? 'conflict' : 'invalid', 'invalid_reference',
        'A referenced record does not exist (or is still in use).', { constraint: err.constraint });
    case SqlState.checkViolation:
    case SqlState.notNullViolation:
      return new DomainError('invalid', 'invalid_request', 'A value breaks a rule of the clinic database.', {
        constraint: err.constraint,
        column: err.column,
      });
    case SqlState.insufficientPrivilege:
      return new DomainError('forbidden', 'forbidden', 'Your role may not do that.');
    case SqlState.serializationFailure:
    case SqlState.deadlockDetected:
      return new DomainError('busy', 'retry', 'The database was busy; please retry.');
    case SqlState.invalidTextRepresentation:
    case SqlState.invalidDatetimeFormat:
    case SqlState.datetimeFieldOverflow:
    case SqlState.numericValueOutOfRange:
    case SqlState.stringDataRightTruncation:
    case SqlState.invalidParameterValue:
      return new DomainError('invalid', 'invalid_request', 'A value has the wrong format or is out of range.');
    case SqlState.characterNotInRepertoire:
      return new DomainError('invalid', 'invalid_request', 'A text value contains a NUL character (U+0000), which cannot be stored.');
    default:
      return undefined;
  }
}
