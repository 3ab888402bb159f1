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
import * as erasureReapply from './20261206000700_erasure_reapply.js';
import * as masterKeyRetirements from './20261206000701_master_key_retirements.js';
import * as backupReadPolicies from './20261206000702_backup_read_policies.js';

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
  '20261206000700_erasure_reapply': erasureReapply,
  '20261206000701_master_key_retirements': masterKeyRetirements,
  '20261206000702_backup_read_policies': backupReadPolicies,
};
