/**
 * The schedule rows a watcher is sent when they start watching (a snapshot, or a replay from
 * their cursor), read with that staff member's own identity, so row-level security decides
 * what they get, and recorded in the audit log like the same read through the HTTP API.
 * Only the live fan-out of what the outbox just announced reads as clinicpulse_realtime.
 */
import type { Knex } from 'knex';
import { asStaff, type StaffIdentity } from '../db/index.js';
import { recordRead } from '../db/repository/access-log.js';
import { providerDaySchedule, scheduleRowsByIds, type ScheduleEntry } from '../db/repository/schedule.js';
import { clinicDayAudited, type ClinicDay } from '../db/repository/clinic-day.js';

/** One provider's clinic-local day as the watcher may see it (audited). */
export function snapshotFor(appKnex: Knex, who: StaffIdentity, providerId: number, day: string): Promise<ScheduleEntry[]> {
  return asStaff(
    appKnex,
    who,
    async (trx) => {
      const rows = await providerDaySchedule(trx, providerId, day);
      await recordRead(trx, 'appointments', rows.map((r) => r.patientId));
      return rows;
    },
    { readOnly: true },
  );
}

/** Every provider's clinic-local day as the front desk may see it (audited): the clinic:watch snapshot. */
export function clinicDayFor(appKnex: Knex, who: StaffIdentity, day: string): Promise<ClinicDay> {
  return asStaff(
    appKnex,
    who,
    // The day and its audit row in one statement, as GET /api/clinic/day.
    (trx) => clinicDayAudited(trx, day),
    { readOnly: true },
  );
}

/** The current rows of replayed appointments as the watcher may see them (audited), by id. */
export async function replayRowsFor(appKnex: Knex, who: StaffIdentity, appointmentIds: number[]): Promise<Map<number, ScheduleEntry>> {
  if (appointmentIds.length === 0) return new Map();
  const rows = await asStaff(
    appKnex,
    who,
    async (trx) => {
      const found = await scheduleRowsByIds(trx, appointmentIds);
      await recordRead(trx, 'appointments', found.map((r) => r.patientId));
      return found;
    },
    { readOnly: true },
  );
  return new Map(rows.map((r) => [r.appointmentId, r]));
}
