/**
 * Per-role payload shaping: what each receiving role may see of one outbox event.
 * The rule is "what this user could read through the API":
 * - front desk: schedule rows of any provider, with the patient's name (no contact, no clinical data);
 * - clinician: schedule rows of their own provider only (a row that moved to another provider
 *   reaches them as `removed`), and `appointment:arrived` for their provider's check-ins;
 * - manager: months whose aggregates changed, never a row;
 * - compliance: audit ids and names of things (see realtime server), never a row.
 * Billing receives nothing live.
 */
import type { StaffRole } from '../db/index.js';
import type { AppointmentArrived, ScheduleAppointment, ScheduleChanged } from '../../shared/events.js';
import type { OutboxEvent } from '../db/repository/outbox.js';

/** The roles that may watch schedules, and the room-name tag each uses. */
export const WATCH_ROLES = { front_desk: 'fd', clinician: 'cl' } as const satisfies Partial<Record<StaffRole, string>>;
export type WatchRole = keyof typeof WATCH_ROLES;

export function isWatchRole(role: StaffRole): role is WatchRole {
  return role in WATCH_ROLES;
}

export function scheduleRoom(role: WatchRole, providerId: number, day: string): string {
  return `s:${WATCH_ROLES[role]}:${providerId}:${day}`;
}
/** The front desk's whole-clinic day (every provider): one room per day. */
export const clinicDayRoom = (day: string) => `c:fd:${day}`;
export const arrivalRoom = (providerId: number) => `arrivals:${providerId}`;
export const ROLE_ROOMS = { manager: 'role:manager', compliance: 'role:compliance' } as const;

/** Every (provider, day) schedule an event touches: the new one and, after a move, the old one. */
export function touchedDays(e: OutboxEvent): { providerId: number; day: string }[] {
  const out = [{ providerId: e.providerId, day: e.day }];
  if (e.prevProviderId !== null && e.prevDay !== null && (e.prevProviderId !== e.providerId || e.prevDay !== e.day)) {
    out.push({ providerId: e.prevProviderId, day: e.prevDay });
  }
  return out;
}

/** Clinic months ('YYYY-MM') whose aggregates an event may change (none for a patient's new name). */
export function touchedMonths(e: OutboxEvent): string[] {
  if (e.kind === 'patient_updated') return [];
  return [...new Set([e.day, e.prevDay].filter((d): d is string => d !== null).map((d) => d.slice(0, 7)))];
}

/**
 * The schedule:changed payload for watchers of (providerId, day) with role `role`, given the
 * appointment's current row (undefined when it no longer exists).
 */
export function scheduleChanged(
  role: WatchRole,
  e: OutboxEvent,
  target: { providerId: number; day: string },
  row: ScheduleAppointment | undefined,
): ScheduleChanged {
  const visible = row !== undefined && (role === 'front_desk' || row.providerId === target.providerId);
  return {
    providerId: target.providerId,
    date: target.day,
    cursor: e.eventId,
    kind: e.kind,
    // A fresh object with the contract's keys only: nothing the row might grow later leaks through.
    appointment: visible ? scheduleRow(row) : { appointmentId: e.appointmentId, removed: true },
  };
}

export function scheduleRow(row: ScheduleAppointment): ScheduleAppointment {
  return {
    appointmentId: row.appointmentId,
    patientId: row.patientId,
    providerId: row.providerId,
    scheduledAt: row.scheduledAt,
    durationMin: row.durationMin,
    status: row.status,
    clinicDate: row.clinicDate,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    patientName: row.patientName,
    overbookReason: row.overbookReason,
  };
}

/** appointment:arrived for the clinician(s) of the appointment's provider, on check-in only. */
export function arrived(e: OutboxEvent, row: ScheduleAppointment | undefined): AppointmentArrived | undefined {
  if (e.kind !== 'checked_in' || !row || row.providerId !== e.providerId) return undefined;
  return {
    appointmentId: row.appointmentId,
    providerId: row.providerId,
    patientName: row.patientName,
    scheduledAt: row.scheduledAt,
    cursor: e.eventId,
  };
}

/** Front-desk screens that asked for waitlist offers (waitlist:watch). */
export const WAITLIST_ROOM = 'waitlist:front_desk';
