/**
 * THE live-push contract between the server (server/realtime/) and the dashboard
 * (client/src/): event names, payloads and acks, typed for Socket.IO on both
 * sides and validated with zod where the server receives them (types are not
 * validation). Semantics, ordering and delivery guarantee: docs/realtime.md.
 *
 * Cursors are the outbox's commit-ordered event ids: a client keeps the highest
 * cursor it has applied per watch and sends it back as `since` when it re-watches.
 */
import { z } from 'zod';

/**
 * What happened to the appointment. The first six are changes to the appointment itself (a
 * deleted row is recorded as `cancelled`); `patient_updated` means its patient's name changed
 * (a correction, or an erasure, after which the name is the placeholder "Erased patient <id>"):
 * one such event per non-cancelled appointment of that patient, so every screen showing one of
 * them shows the new name. Screens treat every kind alike: upsert the row, or remove it.
 */
export const APPOINTMENT_EVENT_KINDS = ['booked', 'rescheduled', 'checked_in', 'cancelled', 'no_show', 'completed', 'patient_updated'] as const;
export type AppointmentEventKind = (typeof APPOINTMENT_EVENT_KINDS)[number];

import type { AppointmentStatus } from './vocabulary.js';
export { APPOINTMENT_STATUSES } from './vocabulary.js';
export type AppointmentStatusValue = AppointmentStatus;

/** Clinic-local calendar day, 'YYYY-MM-DD'. */
export type ClinicDate = string;
/** Commit-ordered outbox event id. */
export type Cursor = number;

/**
 * One row of a provider's day, exactly as GET /api/providers/:id/schedule returns it
 * to front desk and to the provider's own clinician: schedule fields and the patient's
 * name, never contact details or clinical data.
 */
export interface ScheduleAppointment {
  appointmentId: number;
  patientId: number;
  providerId: number;
  /** ISO-8601 instant. */
  scheduledAt: string;
  durationMin: number;
  status: AppointmentStatusValue;
  clinicDate: ClinicDate;
  createdAt: string;
  updatedAt: string;
  patientName: string;
  /** Set when the front desk booked it on top of another appointment (an overbook), with the reason given. */
  overbookReason: string | null;
}

/** The appointment left this watcher's view (moved to another provider or day, deleted, or no longer visible to them). */
export interface RemovedAppointment {
  appointmentId: number;
  removed: true;
}

export interface WatchError {
  code: 'invalid_request' | 'forbidden' | 'rate_limited' | 'too_many_watches' | 'unavailable';
  message: string;
}

// ----- client → server ---------------------------------------------------------

const clinicDate = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, 'a clinic-local day YYYY-MM-DD');
const id = z.number().int().min(1).max(2_147_483_647);

export const scheduleWatchSchema = z.strictObject({
  providerId: id,
  date: clinicDate,
  /** The last cursor this client applied for this watch; omitted for a fresh snapshot. */
  since: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
});
export type ScheduleWatchRequest = z.infer<typeof scheduleWatchSchema>;

export const scheduleUnwatchSchema = z.strictObject({ providerId: id, date: clinicDate });
export type ScheduleUnwatchRequest = z.infer<typeof scheduleUnwatchSchema>;

/**
 * `snapshot: true`: `appointments` is the whole day now and replaces the client's view
 * (no `since`, or `since` older than the outbox retention). `snapshot: false`: the
 * changes after `since` were emitted as `schedule:changed`, in order, just before
 * this ack, and `appointments` is empty. Either way, `cursor` is where live events resume.
 */
export type ScheduleWatchAck =
  | { ok: true; appointments: ScheduleAppointment[]; cursor: Cursor; snapshot?: boolean }
  | { ok: false; error: WatchError };

export type ScheduleUnwatchAck = { ok: true } | { ok: false; error: WatchError };

/**
 * Front desk only: receive `waitlist:offer` from now on. With `since` (the last offer cursor
 * applied), the offers of slots freed after it that are still open are emitted first, in
 * order, just before the ack; `cursor` in the ack is where live offers resume.
 */
export const waitlistWatchSchema = z.strictObject({
  since: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
});
export type WaitlistWatchRequest = z.infer<typeof waitlistWatchSchema>;
export type WaitlistWatchAck = { ok: true; cursor: Cursor } | { ok: false; error: WatchError };

/**
 * Front desk only: every provider's appointments of one clinic-local day, in one watch (the day
 * grid), with the same cursor catch-up as `schedule:watch`. Changes arrive as `schedule:changed`
 * with `date` = the watched day (once per change, whichever provider it touches); cancelled rows
 * are included (the grid shows them behind a toggle). A snapshot's rows carry `patientDob`.
 */
export const clinicWatchSchema = z.strictObject({
  date: clinicDate,
  since: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
});
export type ClinicWatchRequest = z.infer<typeof clinicWatchSchema>;
export const clinicUnwatchSchema = z.strictObject({ date: clinicDate });
export type ClinicUnwatchRequest = z.infer<typeof clinicUnwatchSchema>;

export type ClinicDayAppointment = ScheduleAppointment & { patientDob: string };
export type ClinicWatchAck =
  | { ok: true; appointments: ClinicDayAppointment[]; cursor: Cursor; snapshot: boolean }
  | { ok: false; error: WatchError };

export interface ClientToServerEvents {
  'schedule:watch': (req: ScheduleWatchRequest, ack: (res: ScheduleWatchAck) => void) => void;
  'schedule:unwatch': (req: ScheduleUnwatchRequest, ack?: (res: ScheduleUnwatchAck) => void) => void;
  'waitlist:watch': (req: WaitlistWatchRequest, ack: (res: WaitlistWatchAck) => void) => void;
  'clinic:watch': (req: ClinicWatchRequest, ack: (res: ClinicWatchAck) => void) => void;
  'clinic:unwatch': (req: ClinicUnwatchRequest, ack?: (res: ScheduleUnwatchAck) => void) => void;
}

// ----- server → client ---------------------------------------------------------

/**
 * To the watchers of (providerId, date): one per change per day it touches. `appointment` is the
 * row as it is when the event is dispatched (so also the patient's current name), or `removed`.
 */
export interface ScheduleChanged {
  providerId: number;
  date: ClinicDate;
  cursor: Cursor;
  kind: AppointmentEventKind;
  appointment: ScheduleAppointment | RemovedAppointment;
}

/** To the clinician(s) linked to the provider, when their patient checks in. */
export interface AppointmentArrived {
  appointmentId: number;
  providerId: number;
  patientName: string;
  scheduledAt: string;
  cursor: Cursor;
}

/** To managers, at most once a second: months ('YYYY-MM') whose aggregates changed. */
export interface AnalyticsChanged {
  months: string[];
}

/** To compliance: a new audit-log entry (ids and names of things, never values). */
export interface AuditAppended {
  auditId: number;
  action: string;
  table: string | null;
  actorRole: string;
  at: string;
}

/**
 * To front-desk screens that sent `waitlist:watch`: a future slot was freed (a cancellation,
 * a move away, a shortening) and is still free; `candidates` are the waitlist entries that fit
 * it (their provider or specialty, window and duration), longest-waiting first, at most 20.
 * `cursor` is the outbox event of the change that freed it. Booking one is
 * POST /api/appointments with `waitlistId`; a second desk doing the same gets 409.
 */
export interface WaitlistOffer {
  cursor: Cursor;
  slot: { providerId: number; start: string; end: string };
  candidates: { waitlistId: number; patientId: number; patientName: string; waitingSince: string; durationMin: number }[];
}

/**
 * To front-desk screens that sent `waitlist:watch`: the waitlist changed (an entry added,
 * withdrawn, booked, or removed by an erasure), at most once every 200 ms. No payload (the
 * database's NOTIFY carries none): the screen re-reads GET /api/waitlist with its own rights.
 * Not replayed: after a reconnect the screen re-watches and re-reads the list anyway.
 */
export type WaitlistChanged = Record<string, never>;

export interface ServerToClientEvents {
  'schedule:changed': (e: ScheduleChanged) => void;
  'waitlist:offer': (e: WaitlistOffer) => void;
  'waitlist:changed': (e: WaitlistChanged) => void;
  'appointment:arrived': (e: AppointmentArrived) => void;
  'analytics:changed': (e: AnalyticsChanged) => void;
  'audit:appended': (e: AuditAppended) => void;
}

/** The largest message a client may send (bytes); the server closes a socket that sends more. */
export const MAX_CLIENT_MESSAGE_BYTES = 8 * 1024;
/** Watches one socket may hold at once. */
export const MAX_WATCHES_PER_SOCKET = 64;
