/**
 * The outbox in the database: what each change records, that event ids follow
 * COMMIT order (so "id > last" never skips), the NOTIFY payload, and who may read it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createPatient, createProvider, insertAppointment } from '../support/clinic.js';
import { asService } from '../../server/db/index.js';
import { startRealtimeRig } from '../support/realtime-server.js';
import { feedAfter as readFeed, lastEventId } from '../support/outbox-feed.js';

let db: TestDatabase;
let providerA: number;
let providerB: number;
let patient: number;

beforeAll(async () => {
  db = await createTestDatabase();
  await db.knex.raw("UPDATE clinic_settings SET time_zone = 'America/New_York'");
  providerA = await createProvider(db.knex);
  providerB = await createProvider(db.knex);
  patient = await createPatient(db.knex);
});
afterAll(async () => db.drop());

const feedAfter = (after: number) => readFeed(db.knex, after);
const maxId = () => lastEventId(db.knex);

describe('the appointment outbox', () => {
  it('records a booking, a move to another provider and day, and a check-in, each with the days it touches', async () => {
    const start = await maxId();
    // 23:30 in New York is already the next day in UTC: days are clinic-local.
    const id = await insertAppointment(db.knex, { patientId: patient, providerId: providerA, scheduledAt: '2026-03-02T23:30:00-05:00' });
    await db.knex.raw("UPDATE appointments SET provider_id = ?, scheduled_at = '2026-03-04T09:00:00-05:00' WHERE appointment_id = ?", [providerB, id]);
    await db.knex.raw("UPDATE appointments SET status = 'checked_in' WHERE appointment_id = ?", [id]);
    const rows = await feedAfter(start);
    expect(rows.map((r) => [r.kind, r.provider_id, r.day, r.prev_provider_id, r.prev_day])).toEqual([
      ['booked', providerA, '2026-03-02', null, null],
      ['rescheduled', providerB, '2026-03-04', providerA, '2026-03-02'],
      ['checked_in', providerB, '2026-03-04', null, null],
    ]);
    expect(rows.map((r) => r.event_id)).toEqual([start + 1, start + 2, start + 3]);
  });

  it('records nothing for an update that changes neither status nor slot', async () => {
    const id = await insertAppointment(db.knex, { patientId: patient, providerId: providerA, scheduledAt: '2026-04-01T10:00:00Z' });
    const start = await maxId();
    await db.knex.raw('UPDATE appointments SET updated_at = now() WHERE appointment_id = ?', [id]);
    expect(await feedAfter(start)).toEqual([]);
  });

  it('numbers a multi-row statement contiguously, one batch per transaction', async () => {
    const start = await maxId();
    const p = await createPatient(db.knex);
    await db.knex.raw(
      `INSERT INTO appointments (patient_id, provider_id, scheduled_at, duration_min)
       SELECT ?, ?, timestamptz '2026-05-01 08:00Z' + g * interval '1 hour', 30 FROM generate_series(1, 50) g`,
      [p, providerA],
    );
    const rows = await feedAfter(start);
    expect(rows.map((r) => r.event_id)).toEqual(Array.from({ length: 50 }, (_, i) => start + 1 + i));
    const batches = await db.knex.raw('SELECT count(*)::int AS n FROM appointment_event_batches WHERE last_event_id > ?', [start]);
    expect(batches.rows[0].n).toBe(1);
  });

  it('hands out event ids in commit order, so a reader of "id > last" never skips a late commit', async () => {
    const first = new pg.Client({ connectionString: db.url });
    const second = new pg.Client({ connectionString: db.url });
    await first.connect();
    await second.connect();
    try {
      const start = await maxId();
      await first.query('BEGIN');
      await first.query(`INSERT INTO appointments (patient_id, provider_id, scheduled_at, duration_min)
                         VALUES ($1, $2, '2026-06-01T09:00Z', 30)`, [await createPatient(db.knex), providerA]);
      // Another provider and month: the monthly-stats counters would otherwise serialize the two.
      await second.query('BEGIN');
      await second.query(`INSERT INTO appointments (patient_id, provider_id, scheduled_at, duration_min)
                          VALUES ($1, $2, '2026-07-01T10:00Z', 30)`, [await createPatient(db.knex), providerB]);
      // The transaction that started first commits last.
      await second.query('COMMIT');
      const seen = await feedAfter(start);
      expect(seen.map((r) => r.event_id)).toEqual([start + 1]);
      const last = seen[0]!.event_id;
      await first.query('COMMIT');
      const later = await feedAfter(last);
      expect(later.map((r) => r.event_id)).toEqual([start + 2]);
    } finally {
      await first.end();
      await second.end();
    }
  });

  it('announces each commit on appointment_events with the last event id and nothing else', async () => {
    const listener = new pg.Client({ connectionString: db.url });
    await listener.connect();
    try {
      await listener.query('LISTEN appointment_events');
      const got = new Promise<string>((resolve) => listener.once('notification', (n) => resolve(n.payload ?? '')));
      await insertAppointment(db.knex, { patientId: await createPatient(db.knex, { name: 'Canary Nameson' }), providerId: providerB, scheduledAt: '2026-07-01T09:00:00Z' });
      const payload = await got;
      expect(payload).toMatch(/^\d+$/);
      expect(Number(payload)).toBe(await maxId());
    } finally {
      await listener.end();
    }
  });

  it('is readable by the realtime role, which sees patient names only through its shaping function', async () => {
    const id = await insertAppointment(db.knex, { patientId: patient, providerId: providerA, scheduledAt: '2026-08-01T09:00:00Z' });
    const rows = await asService(db.appKnex, 'clinicpulse_realtime', async (trx) => {
      const feed = await trx.raw('SELECT count(*)::int AS n FROM appointment_event_feed');
      const shaped = await trx.raw('SELECT * FROM realtime_appointments(?::int[])', [[id]]);
      return { n: feed.rows[0].n, shaped: shaped.rows };
    });
    expect(rows.n).toBeGreaterThan(0);
    expect(Object.keys(rows.shaped[0]).sort()).toEqual(
      ['appointment_id', 'clinic_date', 'created_at', 'duration_min', 'overbook_reason', 'patient_id', 'patient_name', 'provider_id', 'scheduled_at', 'status', 'updated_at'],
    );
    const denied = await asService(db.appKnex, 'clinicpulse_realtime', (trx) => trx.raw('SELECT name FROM patients LIMIT 1')).catch((e) => e);
    expect(denied.code).toBe('42501');
    for (const role of ['front_desk', 'clinician', 'manager']) {
      const err = await asService(db.appKnex, role, (trx) => trx.raw('SELECT 1 FROM appointment_events LIMIT 1')).catch((e) => e);
      expect(err.code).toBe('42501');
    }
  });

  it('prunes whole batches older than the retention and remembers how far', async () => {
    await insertAppointment(db.knex, { patientId: patient, providerId: providerB, scheduledAt: '2026-09-01T09:00:00Z' });
    const through = await maxId();
    await db.knex.raw("UPDATE appointment_event_batches SET committed_at = now() - interval '8 days'");
    await insertAppointment(db.knex, { patientId: patient, providerId: providerB, scheduledAt: '2026-09-02T09:00:00Z' });
    const deleted = await asService(db.appKnex, 'clinicpulse_realtime', (trx) =>
      trx.raw("SELECT prune_appointment_events(interval '7 days') AS n"));
    expect(deleted.rows[0].n).toBeGreaterThan(0);
    const left = await feedAfter(0);
    expect(left.map((r) => r.event_id)).toEqual([through + 1]);
    const r = await db.knex.raw('SELECT pruned_through FROM appointment_events_retention');
    expect(r.rows[0].pruned_through).toBe(through);
  });

  it('is pruned by the running service itself, keeping the retention window', async () => {
    await insertAppointment(db.knex, { patientId: patient, providerId: providerA, scheduledAt: '2026-10-01T09:00:00Z' });
    const old = await maxId();
    await db.knex.raw("UPDATE appointment_event_batches SET committed_at = now() - interval '3 days' WHERE last_event_id = ?", [old]);
    await insertAppointment(db.knex, { patientId: patient, providerId: providerA, scheduledAt: '2026-10-02T09:00:00Z' });
    const rig = await startRealtimeRig(db, { retentionDays: 2, pruneIntervalMs: 3_600_000 });
    try {
      const deadline = Date.now() + 10_000;
      let through = 0;
      while (Date.now() < deadline && through < old) {
        await new Promise((r) => setTimeout(r, 100));
        through = (await db.knex.raw('SELECT pruned_through FROM appointment_events_retention')).rows[0].pruned_through;
      }
      expect(through).toBe(old);
      expect((await feedAfter(old - 1)).map((r) => r.event_id)).toEqual([old + 1]);
    } finally {
      await rig.close();
    }
  });
});
