/**
 * Who may do what, where the dashboard must know it too (no zod here: the browser bundle
 * imports this file's values).
 */

/**
 * Roles that book appointments (POST /api/appointments), and so may give the exceptions the
 * desk rules allow: `outsideHoursReason` and `overbook: { reason }`.
 */
export const BOOKING_ROLES = ['front_desk'] as const;
export type BookingRole = (typeof BOOKING_ROLES)[number];

export const mayBook = (role: string): role is BookingRole => (BOOKING_ROLES as readonly string[]).includes(role);
