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
import * as pinSearchPath from './20261206000200_pin_search_path.js';
import * as columnGrants from './20261206000201_column_grants.js';
import * as keyStoreProof from './20261206000202_key_store_proof.js';
import * as auditHashChain from './20261206000203_audit_hash_chain.js';
import * as keyedSignInDigests from './20261206000300_keyed_sign_in_digests.js';
import * as masterKeyCheck from './20261206000301_master_key_check.js';
import * as accountLockout from './20261206000302_account_lockout.js';
import * as patientDobSearch from './20261206000400_patient_dob_search.js';
import * as appointmentStatusHistory from './20261206000401_appointment_status_history.js';
import * as screens from './20261206000500_screens.js';
import * as deskRules from './20261206000600_desk_rules.js';
import * as freeSlots from './20261206000601_free_slots.js';
import * as waitlist from './20261206000602_waitlist.js';
import * as overbooking from './20261206000603_overbooking.js';
import * as series from './20261206000604_series.js';
import * as erasureReapply from './20261206000700_erasure_reapply.js';
import * as masterKeyRetirements from './20261206000701_master_key_retirements.js';
import * as backupReadPolicies from './20261206000702_backup_read_policies.js';
import * as repairFunctionComments from './20261206000800_repair_function_comments.js';
import * as functionComments from './20261206000801_function_comments.js';
import * as leanSessionPath from './20261206000900_lean_session_path.js';
import * as patientSearchIndex from './20261206000910_patient_search_index.js';
import * as cheaperTriggerHelpers from './20261206000920_cheaper_trigger_helpers.js';
import * as columnGrantsForNewRelations from './20261206001000_column_grants_for_new_relations.js';
import * as erasureClearsWaitlist from './20261206001200_erasure_clears_waitlist.js';
import * as waitlistNotify from './20261206001201_waitlist_notify.js';
import * as realtimeAuditFeed from './20261206001400_realtime_audit_feed.js';
import * as patientNameSuffixes from './20261206001600_patient_name_suffixes.js';
import * as erasureSharedSteps from './20261206001700_erasure_shared_steps.js';
import * as shortNameSearch from './20261206001800_short_name_search.js';
import * as sessionTouchWhenDue from './20261206001801_session_touch_when_due.js';
import * as cheaperCommitPath from './20261206001900_cheaper_commit_path.js';
import * as staticAppointmentAudit from './20261206001901_static_appointment_audit.js';
import * as auditReadsCommitAsync from './20261206002000_audit_reads_commit_async.js';
import * as outboxEventsByAppointment from './20261206002001_outbox_events_by_appointment.js';
import * as complianceReadsAudited from './20261207000100_compliance_reads_audited.js';
import * as appointmentHistory from './20261207000200_appointment_history.js';
import * as cheaperIdentityChecks from './20261207000300_cheaper_identity_checks.js';
import * as threeLetterSearch from './20261207000400_three_letter_search.js';

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
  '20261206000200_pin_search_path': pinSearchPath,
  '20261206000201_column_grants': columnGrants,
  '20261206000202_key_store_proof': keyStoreProof,
  '20261206000203_audit_hash_chain': auditHashChain,
  '20261206000300_keyed_sign_in_digests': keyedSignInDigests,
  '20261206000301_master_key_check': masterKeyCheck,
  '20261206000302_account_lockout': accountLockout,
  '20261206000400_patient_dob_search': patientDobSearch,
  '20261206000401_appointment_status_history': appointmentStatusHistory,
  '20261206000500_screens': screens,
  '20261206000600_desk_rules': deskRules,
  '20261206000601_free_slots': freeSlots,
  '20261206000602_waitlist': waitlist,
  '20261206000603_overbooking': overbooking,
  '20261206000604_series': series,
  '20261206000700_erasure_reapply': erasureReapply,
  '20261206000701_master_key_retirements': masterKeyRetirements,
  '20261206000702_backup_read_policies': backupReadPolicies,
  '20261206000800_repair_function_comments': repairFunctionComments,
  '20261206000801_function_comments': functionComments,
  '20261206000900_lean_session_path': leanSessionPath,
  '20261206000910_patient_search_index': patientSearchIndex,
  '20261206000920_cheaper_trigger_helpers': cheaperTriggerHelpers,
  '20261206001000_column_grants_for_new_relations': columnGrantsForNewRelations,
  '20261206001200_erasure_clears_waitlist': erasureClearsWaitlist,
  '20261206001201_waitlist_notify': waitlistNotify,
  '20261206001400_realtime_audit_feed': realtimeAuditFeed,
  '20261206001600_patient_name_suffixes': patientNameSuffixes,
  '20261206001700_erasure_shared_steps': erasureSharedSteps,
  '20261206001800_short_name_search': shortNameSearch,
  '20261206001801_session_touch_when_due': sessionTouchWhenDue,
  '20261206001900_cheaper_commit_path': cheaperCommitPath,
  '20261206001901_static_appointment_audit': staticAppointmentAudit,
  '20261206002000_audit_reads_commit_async': auditReadsCommitAsync,
  '20261206002001_outbox_events_by_appointment': outboxEventsByAppointment,
  '20261207000100_compliance_reads_audited': complianceReadsAudited,
  '20261207000200_appointment_history': appointmentHistory,
  '20261207000300_cheaper_identity_checks': cheaperIdentityChecks,
  '20261207000400_three_letter_search': threeLetterSearch,
};
