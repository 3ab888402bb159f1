/**
 * The clinic's vocabularies, each defined once and imported by the server, the client,
 * the generator and the tests: appointment statuses and staff roles (with their labels),
 * how often a series repeats, charge statuses, and the audit log's actions and severities.
 * The database's CHECK constraints and group roles say the same (migrations);
 * test/vocabulary.test.ts compares them with the catalog. No zod here: the browser imports it.
 */
/** An appointment's status, in the order the generator indexes them. */
export const APPOINTMENT_STATUSES = ['scheduled', 'checked_in', 'completed', 'cancelled', 'no_show'] as const;
export type AppointmentStatus = (typeof APPOINTMENT_STATUSES)[number];

/** How screens name each status. */
export const APPOINTMENT_STATUS_LABELS: Record<AppointmentStatus, string> = {
  scheduled: 'Scheduled',
  checked_in: 'Checked in',
  completed: 'Completed',
  cancelled: 'Cancelled',
  no_show: 'No-show',
};

/** The staff roles: each is a PostgreSQL group role of the same name. */
export const STAFF_ROLES = ['front_desk', 'clinician', 'billing', 'manager', 'compliance'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

export function isStaffRole(value: unknown): value is StaffRole {
  return typeof value === 'string' && (STAFF_ROLES as readonly string[]).includes(value);
}

/**
 * The NOLOGIN roles the service becomes for work that is no staff member's: sign-in, sessions
 * and the login throttle (clinicpulse_auth); reading the outbox for live push
 * (clinicpulse_realtime). The service login (clinicpulse_app) is a member of these and of
 * STAFF_ROLES, and of nothing else.
 */
export const AUTH_ROLE = 'clinicpulse_auth';
export const REALTIME_ROLE = 'clinicpulse_realtime';
export const SERVICE_ROLES = [AUTH_ROLE, REALTIME_ROLE] as const;

/** How screens name each role. */
export const STAFF_ROLE_LABELS: Record<StaffRole, string> = {
  front_desk: 'Front desk',
  clinician: 'Clinician',
  billing: 'Billing',
  manager: 'Manager',
  compliance: 'Compliance',
};

/**
 * Roles that book appointments (POST /api/appointments), and so may give the exceptions the
 * desk rules allow: `outsideHoursReason` and `overbook: { reason }`. The booking route and
 * the booking form both read it.
 */
export const BOOKING_ROLES = ['front_desk'] as const satisfies readonly StaffRole[];
export type BookingRole = (typeof BOOKING_ROLES)[number];

export const mayBook = (role: string): role is BookingRole => (BOOKING_ROLES as readonly string[]).includes(role);

/** A charge's status (billing); the database also checks which transitions are allowed. */
export const CHARGE_STATUSES = ['pending', 'submitted', 'paid', 'denied', 'void'] as const;
export type ChargeStatus = (typeof CHARGE_STATUSES)[number];

/** What an audit log row records. */
export const AUDIT_ACTIONS = ['insert', 'update', 'delete', 'read', 'break_glass', 'erase', 'erase_refused', 'legal_hold'] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** How urgently compliance should look at an audit log row. */
export const AUDIT_SEVERITIES = ['info', 'high'] as const;
export type AuditSeverity = (typeof AUDIT_SEVERITIES)[number];

/** How often a recurring series repeats (POST /api/appointments/series). */
export const SERIES_EVERY = ['week', '2 weeks', 'month'] as const;
export type SeriesEvery = (typeof SERIES_EVERY)[number];
