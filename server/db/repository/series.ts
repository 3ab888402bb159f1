/**
 * Recurring appointments (migration 20261206000604): book every occurrence in one
 * transaction or none, and cancel an occurrence with all that follow it. Each occurrence is
 * an ordinary INSERT, so every database rule applies to it; a refused occurrence is tried
 * in a savepoint so that the answer can list every clash, then the whole series is undone.
 */
import type { SeriesEvery } from '../../../shared/vocabulary.js';
import type { Transaction } from '../index.js';
import { fromPgError } from '../errors.js';
import { DomainError, isRefusal } from '../../domain/errors.js';
import { appointmentReturning, queueBehindConflictingWrites, toAppointment, type Appointment, type AppointmentRow } from './appointments.js';
import { instant, iso } from './common.js';


export interface SeriesInput {
  patientId: number;
  providerId: number;
  firstStart: string;
  durationMin: number;
  every: SeriesEvery;
  count: number;
  outsideHoursReason?: string;
}

export interface SeriesClash {
  /** 1-based position in the series. */
  occurrence: number;
  scheduledAt: string;
  code: string;
  message: string;
  details?: unknown;
}

const STEP: Record<SeriesEvery, string> = { week: '7 days', '2 weeks': '14 days', month: '1 month' };

/** The occurrences' starts: the same clinic-local wall time every week, fortnight or month. */
export async function seriesStarts(trx: Transaction, firstStart: string, every: SeriesEvery, count: number): Promise<string[]> {
  const { rows } = await trx.raw<{ rows: { t: Date }[] }>(
    `SELECT ((?::timestamptz AT TIME ZONE clinic_time_zone()) + k * ?::interval) AT TIME ZONE clinic_time_zone() AS t
     FROM generate_series(0, ?::int - 1) k ORDER BY k`,
    [instant(firstStart), STEP[every], count],
  );
  return rows.map((r) => iso(r.t));
}

export async function bookSeries(trx: Transaction, input: SeriesInput): Promise<{ seriesId: number; appointments: Appointment[] }> {
  await queueBehindConflictingWrites(trx, [input.providerId], input.patientId);
  const [series] = (await trx('appointment_series')
    .insert({ patient_id: input.patientId, provider_id: input.providerId, every: input.every, occurrences: input.count })
    .returning('series_id')) as { series_id: number }[];
  const seriesId = series!.series_id;
  const starts = await seriesStarts(trx, input.firstStart, input.every, input.count);
  const booked: Appointment[] = [];
  const clashes: SeriesClash[] = [];
  for (const [i, scheduledAt] of starts.entries()) {
    try {
      const rows = await trx.transaction((sp) =>
        sp('appointments')
          .insert({
            patient_id: input.patientId,
            provider_id: input.providerId,
            scheduled_at: scheduledAt,
            duration_min: input.durationMin,
            series_id: seriesId,
            ...(input.outsideHoursReason !== undefined ? { outside_hours_reason: input.outsideHoursReason } : {}),
          })
          .returning(appointmentReturning(sp as Transaction) as string[]),
      );
      booked.push(toAppointment((rows as AppointmentRow[])[0]!));
    } catch (err) {
      const refusal = fromPgError(err);
      if (!refusal || !isRefusal(refusal)) throw err;
      clashes.push({ occurrence: i + 1, scheduledAt, code: refusal.code, message: refusal.message, details: refusal.details });
    }
  }
  if (clashes.length > 0) {
    throw new DomainError(
      'conflict',
      'series_conflict',
      `${clashes.length} of ${input.count} occurrences cannot be booked (see details.clashes); nothing was booked. ` +
        'Move the first start, book fewer occurrences, or book the free ones singly.',
      { clashes },
    );
  }
  return { seriesId, appointments: booked };
}

/**
 * Cancel this occurrence and every later one of its series that is still scheduled or checked in.
 * Undefined when the appointment does not exist (or is not visible); a conflict (not_in_series) when it is not in a series.
 */
export async function cancelThisAndFollowing(trx: Transaction, appointmentId: number): Promise<Appointment[] | undefined> {
  const a = (await trx('appointments').select('series_id', 'scheduled_at').where('appointment_id', appointmentId).first()) as
    | { series_id: number | null; scheduled_at: Date }
    | undefined;
  if (!a) return undefined;
  if (a.series_id === null) {
    throw new DomainError('conflict', 'not_in_series', 'This appointment is not part of a series; cancel it on its own.', { appointmentId });
  }
  const rows = (await trx('appointments')
    .update({ status: 'cancelled' })
    .where('series_id', a.series_id)
    .where('scheduled_at', '>=', a.scheduled_at)
    .whereIn('status', ['scheduled', 'checked_in'])
    .returning(appointmentReturning(trx) as string[])) as AppointmentRow[];
  return rows.map(toAppointment).sort((x, y) => x.scheduledAt.localeCompare(y.scheduledAt));
}
