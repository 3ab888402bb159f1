/**
 * The ordered list of migrations. Listed explicitly (rather than discovered on
 * disk) so that the same list loads under tsx, vitest and a bundler alike.
 * Add a new migration here when you add its file.
 */
import type { Knex } from 'knex';
import * as rolesAndExtensions from './20261125000001_roles_and_extensions.js';
import * as clinicSchema from './20261125000002_clinic_schema.js';
import * as staffIdentity from './20261125000003_staff_identity.js';
import * as amendClinicSchema from './20261125000004_amend_clinic_schema.js';
import * as amendConstraints from './20261125000004_amend_constraints.js';
import * as comments from './20261125000004_comments.js';
import * as fastClinicTime from './20261125000004_fast_clinic_time.js';
import * as audit from './20261125000006_audit.js';
import * as accessControl from './20261125000010_access_control.js';
import * as identityEverywhere from './20261125000011_identity_everywhere.js';
import * as encryptionErasure from './20261125000021_encryption_erasure.js';
import * as auditTruncate from './20261125000022_audit_truncate.js';
import * as outbox from './20261125000030_outbox.js';
import * as inlineAppointmentSlot from './20261125000040_inline_appointment_slot.js';
import * as patientChangeEvents from './20261125000050_patient_change_events.js';
import * as sharedLoginThrottle from './20261125000060_shared_login_throttle.js';
import * as durableAudit from './20261206000100_durable_audit.js';
import * as auditedApiReads from './20261206000110_audited_api_reads.js';
import * as realtimeLeastRead from './20261206000120_realtime_least_read.js';
import * as keyedSignInDigests from './20261206000300_keyed_sign_in_digests.js';
import * as masterKeyCheck from './20261206000301_master_key_check.js';
import * as accountLockout from './20261206000302_account_lockout.js';
import * as repairFunctionComments from './20261206000800_repair_function_comments.js';
import * as functionComments from './20261206000801_function_comments.js';
import * as leanSessionPath from './20261206000900_lean_session_path.js';
import * as patientSearchIndex from './20261206000910_patient_search_index.js';
import * as cheaperTriggerHelpers from './20261206000920_cheaper_trigger_helpers.js';

export const migrations: Record<string, Knex.Migration> = {
  '20261125000001_roles_and_extensions': rolesAndExtensions,
  '20261125000002_clinic_schema': clinicSchema,
  '20261125000003_staff_identity': staffIdentity,
  '20261125000004_amend_clinic_schema': amendClinicSchema,
  '20261125000004_amend_constraints': amendConstraints,
  '20261125000004_comments': comments,
  '20261125000004_fast_clinic_time': fastClinicTime,
  '20261125000006_audit': audit,
  '20261125000010_access_control': accessControl,
  '20261125000011_identity_everywhere': identityEverywhere,
  '20261125000021_encryption_erasure': encryptionErasure,
  '20261125000022_audit_truncate': auditTruncate,
  '20261125000030_outbox': outbox,
  '20261125000040_inline_appointment_slot': inlineAppointmentSlot,
  '20261125000050_patient_change_events': patientChangeEvents,
  '20261125000060_shared_login_throttle': sharedLoginThrottle,
  '20261206000100_durable_audit': durableAudit,
  '20261206000110_audited_api_reads': auditedApiReads,
  '20261206000120_realtime_least_read': realtimeLeastRead,
  '20261206000300_keyed_sign_in_digests': keyedSignInDigests,
  '20261206000301_master_key_check': masterKeyCheck,
  '20261206000302_account_lockout': accountLockout,
  '20261206000800_repair_function_comments': repairFunctionComments,
  '20261206000801_function_comments': functionComments,
  '20261206000900_lean_session_path': leanSessionPath,
  '20261206000910_patient_search_index': patientSearchIndex,
  '20261206000920_cheaper_trigger_helpers': cheaperTriggerHelpers,
};
