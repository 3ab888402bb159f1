/**
 * GET /api/slots: the property that matters, checked exhaustively over a week: the set of
 * slots returned equals the set of 15-minute grid starts that POST /api/appointments's
 * rules accept (every returned slot books; no bookable start is missing), with working
 * hours that have a lunch break, random appointments (some off the grid, some cancelled)
 * and time off. Then roles, 400s and 404s.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asStaff } from '../../server/db/index.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { buildWorld, type World } from '../support/api-world.js';
import { clinicDate, createPatient, createProvider, insertAppointment } from '../support/clinic.js';

let ts: TestServer;
let w: World;
let doctor: number;
let days: string[];
const DURATION = 30;

beforeAll(async () => {
  ts = await startTestServer();
  w = await buildWorld(ts);
  const k = ts.db.knex;
  doctor = await createProvider(k, { name: 'Dr Slots', specialty: 'Nephrology' });
  await k.raw(
    `INSERT INTO provider_working_hours (provider_id, iso_weekday, starts_at, ends_at)
     SELECT ?, d, s::time, e::time FROM generate_series(1, 7) d, (VALUES ('08:00', '12:00'), ('13:00', '17:30')) v(s, e)`,
    [doctor],
  );
  const today = await clinicDate(k);
  const { rows } = await k.raw(`SELECT (?::date + g)::text AS d FROM generate_series(1, 6) g ORDER BY g`, [today]);
  days = rows.map((r: { d: string }) => r.d);
  // A fixed-seed generator: a failure replays the same way.
  let seed = 7;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), (seed >>> 8) % n);
  const patient = await createPatient(k);
  for (const day of days) {
    let minute = 7 * 60 + rnd(90);
    while (minute < 18 * 60) {
      const duration = 10 + rnd(41);
      const { rows: at } = await k.raw(`SELECT lower(clinic_day_range(?::date)) + make_interval(mins => ?) AS t`, [day, minute]);
      await insertAppointment(k, { patientId: patient, providerId: doctor, scheduledAt: at[0].t.toISOString(), durationMin: duration, status: rnd(5) === 0 ? 'cancelled' : 'scheduled' });
      minute += duration + 20 + rnd(120);
    }
  }
  await k.raw(
    `INSERT INTO provider_time_off (provider_id, period, category)
     VALUES (?, tstzrange(lower(clinic_day_range(?::date)) + interval '14 hours 10 minutes', lower(clinic_day_range(?::date)) + interval '15 hours 50 minutes'), 'training')`,
    [doctor, days[2]!, days[2]!],
  );
});
afterAll(async () => ts.close());

describe('GET /api/slots', () => {
  it('returns exactly the grid starts a booking would be accepted at, over a week with a lunch break, appointments and time off', async () => {
    const from = days[0]!;
    const to = days[days.length - 1]!;
    const res = await w.as.front_desk.get(`/api/slots?from=${from}&to=${to}&durationMin=${DURATION}&providerId=${doctor}&limit=1000`);
    expect(res.status).toBe(200);
    const returned: string[] = res.body.items.map((s: { providerId: number; start: string; end: string }) => {
      expect(s.providerId).toBe(doctor);
      expect(Date.parse(s.end) - Date.parse(s.start)).toBe(DURATION * 60_000);
      return s.start;
    });
    expect(returned).toEqual([...returned].sort());
    expect(returned.length).toBeGreaterThan(50);

    // Try every 15-minute start of those days as the front desk, each in a savepoint rolled back.
    const { rows: grid } = await ts.db.knex.raw(
      `SELECT g AS t FROM generate_series(lower(clinic_day_range(?::date)), upper(clinic_day_range(?::date)) - interval '15 minutes', interval '15 minutes') g`,
      [from, to],
    );
    const freePatient = await createPatient(ts.db.knex);
    const accepted = await asStaff(ts.db.appKnex, { userId: w.users.front_desk.userId, role: 'front_desk' }, async (trx) => {
      const ok: string[] = [];
      for (const { t } of grid as { t: Date }[]) {
        await trx.raw('SAVEPOINT try_slot');
        try {
          await trx.raw('INSERT INTO appointments (patient_id, provider_id, scheduled_at, duration_min) VALUES (?, ?, ?, ?)', [freePatient, doctor, t, DURATION]);
          ok.push(t.toISOString());
        } catch (err) {
          expect((err as { code?: string }).code).toMatch(/^(23514|23P01)$/);
        }
        await trx.raw('ROLLBACK TO SAVEPOINT try_slot');
      }
      return ok;
    });
    expect(accepted.length).toBeGreaterThan(50);
    // Every returned slot books, and no bookable start is missing.
    expect(returned.filter((s) => !accepted.includes(s))).toEqual([]);
    expect(accepted.filter((s) => !returned.includes(s))).toEqual([]);
  });

  it('answers "first available" with limit=1, and a specialty across its providers sorted by start', async () => {
    const other = await createProvider(ts.db.knex, { name: 'Dr Anytime', specialty: 'Nephrology' });
    const first = await w.as.front_desk.get(`/api/slots?from=${days[0]}&to=${days[5]}&durationMin=45&providerId=${doctor}&limit=1`);
    expect(first.body.items).toHaveLength(1);
    const all = await w.as.front_desk.get(`/api/slots?from=${days[0]}&to=${days[5]}&durationMin=45&providerId=${doctor}&limit=1000`);
    expect(first.body.items[0]).toEqual(all.body.items[0]);
    const specialty = await w.as.clinician.get(`/api/slots?from=${days[0]}&to=${days[0]}&durationMin=60&specialty=nephrology&limit=1000`);
    expect(specialty.status).toBe(200);
    const items = specialty.body.items as { providerId: number; start: string }[];
    expect(new Set(items.map((s) => s.providerId))).toEqual(new Set([doctor, other]));
    expect(items.map((s) => `${s.start}|${String(s.providerId).padStart(10, '0')}`)).toEqual(
      items.map((s) => `${s.start}|${String(s.providerId).padStart(10, '0')}`).sort(),
    );
    // Without working hours: any time of the day, on the grid (the day has 24 × 4 starts, less the last three).
    expect(items.filter((s) => s.providerId === other).length).toBe(24 * 4 - 3);
    const both = await w.as.manager.get(`/api/slots?from=${days[0]}&to=${days[0]}&durationMin=60&providerId=${doctor}&providerId=${other}&limit=1000`);
    expect(both.body.items).toEqual(items);
  });

  it('is refused to billing and compliance, and answers 400 naming the field, 404 for an unknown provider', async () => {
    const q = `from=${days[0]}&to=${days[1]}&durationMin=30&providerId=${doctor}`;
    for (const role of ['billing', 'compliance'] as const) expect((await w.as[role].get(`/api/slots?${q}`)).status).toBe(403);
    expect((await w.as.anonymous.get(`/api/slots?${q}`)).status).toBe(401);
    const cases: [string, string][] = [
      [`from=${days[0]}&to=${days[1]}&providerId=${doctor}`, 'query.durationMin'],
      [`from=${days[0]}&to=${days[1]}&durationMin=4&providerId=${doctor}`, 'query.durationMin'],
      [`from=${days[0]}&to=${days[1]}&durationMin=30`, 'query.providerId'],
      [`from=${days[0]}&to=${days[1]}&durationMin=30&providerId=${doctor}&specialty=Nephrology`, 'query.providerId'],
      [`from=${days[1]}&to=${days[0]}&durationMin=30&providerId=${doctor}`, 'query.to'],
      [`from=2030-01-01&to=2030-06-01&durationMin=30&providerId=${doctor}`, 'query.to'],
      [`from=2030-02-30&to=2030-03-01&durationMin=30&providerId=${doctor}`, 'query.from'],
      [`${q}&limit=0`, 'query.limit'],
      [`${q}&providerId=x`, 'query.providerId'],
    ];
    for (const [query, path] of cases) {
      const res = await w.as.front_desk.get(`/api/slots?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.error.details.issues.some((i: { path: string }) => i.path.startsWith(path)), query).toBe(true);
    }
    expect((await w.as.front_desk.get(`/api/slots?from=${days[0]}&to=${days[1]}&durationMin=30&providerId=2000000000`)).status).toBe(404);
    expect((await w.as.front_desk.get(`/api/slots?from=${days[0]}&to=${days[1]}&durationMin=30&specialty=Astrology`)).body.items).toEqual([]);
  });
});
