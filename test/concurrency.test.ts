/**
 * Double-booking under real concurrency: 50 connections, each in its own open
 * transaction, book the same provider slot at the same moment. The exclusion
 * constraint must let exactly one through; the others get 23P01. A deadlock would be
 * retried like asStaff does, but the retries are counted and must be none: the
 * repository's advisory locks make conflicting writers queue instead.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Knex } from 'knex';
import { createTestDatabase, type TestDatabase } from './support/db.js';
import { createPatient, createProvider, insertAppointment, pgError } from './support/clinic.js';
import { createKnex } from '../server/db/knex.js';
import { isRetryable } from '../server/db/errors.js';
import { bookAppointment, type BookingInput } from '../server/db/repository/index.js';

const CLIENTS = 50;
let db: TestDatabase;
let pool: Knex;

beforeAll(async () => {
  db = await createTestDatabase();
  // Crossing conflicts can deadlock; detect them in 100 ms rather than the default 1 s.
  await db.knex.raw(`ALTER DATABASE ${db.name} SET deadlock_timeout = '100ms'`);
  pool = createKnex(db.url, { poolMin: CLIENTS, poolMax: CLIENTS });
  // Open all 50 connections up front so the race is between transactions, not connects.
  await Promise.all(Array.from({ length: CLIENTS }, () => pool.raw('SELECT pg_sleep(0.05)')));
});
afterAll(async () => {
  await pool.destroy();
  await db.drop();
});

type Outcome = { ok: true; id: number } | { ok: false; code: string | undefined; constraint: string | undefined };

/** SQLSTATEs of the failures a race retried (40P01 deadlock, 40001 serialization), with counts. */
type Retries = Record<string, number>;

/**
 * Run all bookings at once: each transaction starts and proves it holds a connection,
 * then waits until every other one has done the same before inserting. Retries are
 * counted, so a test can assert how many there were instead of letting them hide a
 * regression (say, in the order locks are taken).
 */
async function race(inputs: BookingInput[]): Promise<Outcome[] & { retries: Retries }> {
  const retries: Retries = {};
  let arrived = 0;
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const one = async (input: BookingInput, attempt = 1): Promise<Outcome> => {
    try {
      const a = await pool.transaction(async (trx) => {
        await trx.raw('SELECT 1');
        if (attempt === 1 && ++arrived === inputs.length) release();
        await gate;
        return bookAppointment(trx, input);
      });
      return { ok: true, id: a.appointmentId };
    } catch (err) {
      if (isRetryable(err) && attempt < 10) {
        const code = (err as { code?: string }).code ?? 'unknown';
        retries[code] = (retries[code] ?? 0) + 1;
        // Back off with jitter: retrying at once re-forms the same wait cycle with the
        // transaction that survived the deadlock, and the retrier loses again.
        await new Promise((r) => setTimeout(r, Math.random() * 25 * attempt));
        return one(input, attempt + 1);
      }
      const e = err as { code?: string; constraint?: string };
      return { ok: false, code: e.code, constraint: e.constraint };
    }
  };
  return Object.assign(await Promise.all(inputs.map((i) => one(i))), { retries });
}

async function overlappingPairs(providerId: number): Promise<number> {
  const { rows } = await db.knex.raw(
    `SELECT count(*)::int AS n FROM appointments a JOIN appointments b
       ON a.provider_id = b.provider_id AND a.appointment_id < b.appointment_id
      AND appointment_slot(a.scheduled_at, a.duration_min) && appointment_slot(b.scheduled_at, b.duration_min)
     WHERE a.provider_id = ? AND a.status <> 'cancelled' AND b.status <> 'cancelled'`,
    [providerId],
  );
  return rows[0].n;
}

describe('50 connections booking at once', () => {
  it('lets exactly one booking of the same slot through; the other 49 get 23P01', async () => {
    const providerId = await createProvider(db.knex);
    const patients = await Promise.all(Array.from({ length: CLIENTS }, () => createPatient(db.knex)));
    const outcomes = await race(
      patients.map((patientId) => ({ patientId, providerId, scheduledAt: '2030-06-03T14:00:00Z', durationMin: 30 })),
    );
    // One tally, so a failure shows every outcome at once.
    const tally: Record<string, number> = {};
    for (const o of outcomes) {
      const k = o.ok ? 'booked' : `${o.code} ${o.constraint}`;
      tally[k] = (tally[k] ?? 0) + 1;
    }
    expect(tally).toEqual({ booked: 1, '23P01 appointments_no_provider_overlap': CLIENTS - 1 });
    // The repository's advisory locks queue the writers, so none deadlocked (0 in every run measured).
    expect(outcomes.retries).toEqual({});
    expect(await overlappingPairs(providerId)).toBe(0);
    const { rows } = await db.knex.raw(
      'SELECT (SELECT count(*)::int FROM appointments WHERE provider_id = ?) AS rows, (SELECT total FROM appointment_monthly_stats WHERE provider_id = ?) AS counted',
      [providerId, providerId],
    );
    // The maintained counter saw exactly the one committed booking.
    expect(rows[0]).toEqual({ rows: 1, counted: 1 });
  });

  it('never leaves an overlap when staggered, partly overlapping slots race', async () => {
    const providerId = await createProvider(db.knex);
    const n = CLIENTS;
    const patients = await Promise.all(Array.from({ length: n }, () => createPatient(db.knex)));
    // Starts every 10 minutes, 30 minutes long: each overlaps its two neighbours on either side.
    const base = Date.UTC(2030, 5, 4, 12);
    const outcomes = await race(
      patients.map((patientId, i) => ({ patientId, providerId, scheduledAt: new Date(base + i * 600_000), durationMin: 30 })),
    );
    const won = outcomes.filter((o) => o.ok).length;
    const lost = outcomes.filter((o) => !o.ok) as Extract<Outcome, { ok: false }>[];
    // A winner blocks at most the two slots either side of it, so at least every fifth slot wins;
    // the losers were refused by the constraint (after any deadlock retry), nothing else.
    expect(won).toBeGreaterThanOrEqual(Math.ceil(n / 5));
    expect(won + lost.length).toBe(n);
    expect([...new Set(lost.map((l) => `${l.code} ${l.constraint}`))]).toEqual(['23P01 appointments_no_provider_overlap']);
    expect(await overlappingPairs(providerId)).toBe(0);
    // Crossing exclusion checks would deadlock (40P01) without the provider-then-patient
    // advisory locks taken before the insert; with them, writers queue and nothing is retried.
    expect(outcomes.retries).toEqual({});
  });
});

describe('a visit and a cancellation at the same time', () => {
  async function checkedIn() {
    const patientId = await createPatient(db.knex);
    const appointmentId = await insertAppointment(db.knex, {
      patientId,
      providerId: await createProvider(db.knex),
      scheduledAt: '2030-07-01T14:00:00Z',
    });
    await db.knex.raw("UPDATE appointments SET status = 'checked_in' WHERE appointment_id = ?", [appointmentId]);
    return { appointmentId, patientId };
  }
  const statusAndVisits = async (appointmentId: number) =>
    (
      await db.knex.raw(
        'SELECT status, (SELECT count(*)::int FROM visits WHERE appointment_id = a.appointment_id) AS visits FROM appointments a WHERE appointment_id = ?',
        [appointmentId],
      )
    ).rows[0];

  it('refuses the cancel that waited for a visit to commit', async () => {
    const { appointmentId, patientId } = await checkedIn();
    const visit = await pool.transaction();
    await visit.raw('INSERT INTO visits (appointment_id, patient_id) VALUES (?, ?)', [appointmentId, patientId]);
    // The cancel must wait for the visit's transaction, then see the visit.
    const cancel = pool.raw("UPDATE appointments SET status = 'cancelled' WHERE appointment_id = ?", [appointmentId]);
    await new Promise((r) => setTimeout(r, 200));
    await visit.commit();
    expect(await pgError(cancel)).toMatchObject({ code: '23514', constraint: 'appointments_visit_requires_arrival' });
    expect(await statusAndVisits(appointmentId)).toEqual({ status: 'checked_in', visits: 1 });
  });

  it('refuses the visit that waited for a cancel to commit', async () => {
    const { appointmentId, patientId } = await checkedIn();
    const cancel = await pool.transaction();
    await cancel.raw("UPDATE appointments SET status = 'cancelled' WHERE appointment_id = ?", [appointmentId]);
    const visit = pool.raw('INSERT INTO visits (appointment_id, patient_id) VALUES (?, ?)', [appointmentId, patientId]);
    await new Promise((r) => setTimeout(r, 200));
    await cancel.commit();
    expect(await pgError(visit)).toMatchObject({ code: '23514', constraint: 'visits_require_arrival' });
    expect(await statusAndVisits(appointmentId)).toEqual({ status: 'cancelled', visits: 0 });
  });
});
