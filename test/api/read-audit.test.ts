/**
 * Every API read that returns a person's identifiable data leaves exactly one audit row
 * per request, naming the staff member and every patient returned (issue 9, item 4): a
 * search is one row listing the ids on the page shown; a read that returned nobody leaves
 * none. Through the real server and database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type ApiClient, type TestServer } from '../support/server.js';
import { at, buildWorld, DAY, type World } from '../support/api-world.js';
import { createPatient, insertAppointment } from '../support/clinic.js';
import type { StaffFixture } from '../support/staff.js';

let ts: TestServer;
let w: World;
beforeAll(async () => {
  ts = await startTestServer();
  w = await buildWorld(ts);
});
afterAll(async () => ts.close());

interface ReadRow {
  actor_user_id: number;
  actor_role: string;
  table_name: string;
  patient_id: number | null;
  patient_ids: number[];
}

/** The read rows one request (a GET, or a POST of `body`) leaves, as the superuser sees them. */
async function readsOf(client: ApiClient, path: string, body?: object): Promise<{ status: number; body: unknown; reads: ReadRow[] }> {
  const { rows } = await ts.db.knex.raw('SELECT coalesce(max(audit_id), 0) AS id FROM audit_log');
  const res = body === undefined ? await client.get(path) : await client.post(path, body);
  const reads = (await ts.db.knex.raw(
    `SELECT actor_user_id, actor_role, table_name, patient_id, patient_ids FROM audit_log
     WHERE audit_id > ? AND action = 'read' ORDER BY audit_id`,
    [rows[0].id],
  )).rows as ReadRow[];
  return { status: res.status, body: res.body, reads };
}

const by = (u: StaffFixture) => ({ actor_user_id: u.userId, actor_role: u.role });

describe('audited API reads', () => {
  it('GET /api/patients/:id: one row naming the reader and the patient, for each role that may read it', async () => {
    for (const [role, id] of [['front_desk', w.patientA], ['clinician', w.patientA], ['billing', w.billedPatient]] as const) {
      const r = await readsOf(w.as[role], `/api/patients/${id}`);
      expect(r.status).toBe(200);
      expect(r.reads).toEqual([{ ...by(w.users[role]), table_name: 'patients', patient_id: id, patient_ids: [id] }]);
    }
    // A patient the caller may not see: 404 and nothing was read.
    const hidden = await readsOf(w.as.clinician, `/api/patients/${w.patientB}`);
    expect(hidden.status).toBe(404);
    expect(hidden.reads).toEqual([]);
  });

  it('GET /api/patients?q=: one row listing every patient on the page', async () => {
    const k = ts.db.knex;
    const ids = [await createPatient(k, { name: 'Audrey Auditsearch' }), await createPatient(k, { name: 'Aaron Auditsearch' })].sort((a, b) => a - b);
    const r = await readsOf(w.as.front_desk, '/api/patients?q=auditsearch');
    expect(r.status).toBe(200);
    expect(r.reads).toEqual([{ ...by(w.users.front_desk), table_name: 'patients', patient_id: null, patient_ids: ids }]);
    const none = await readsOf(w.as.front_desk, '/api/patients?q=nobodyisnamedlikethis');
    expect(none.reads).toEqual([]);
  });

  it('GET /api/patients/:id/appointments: one row naming the patient', async () => {
    const r = await readsOf(w.as.clinician, `/api/patients/${w.patientA}/appointments`);
    expect(r.status).toBe(200);
    expect(r.reads).toEqual([{ ...by(w.users.clinician), table_name: 'appointments', patient_id: w.patientA, patient_ids: [w.patientA] }]);
  });

  it('GET /api/appointments/upcoming and GET /api/providers/:id/schedule: one row listing every patient returned', async () => {
    const extra = await createPatient(ts.db.knex, { name: 'Ulla Upcoming' });
    await insertAppointment(ts.db.knex, { patientId: extra, providerId: w.providerA, scheduledAt: `${DAY}T10:00:00-05:00` });
    const upcoming = await readsOf(w.as.clinician, '/api/appointments/upcoming?limit=500');
    expect(upcoming.status).toBe(200);
    const returned = [...new Set((upcoming.body as { items: { patientId: number }[] }).items.map((i) => i.patientId))].sort((a, b) => a - b);
    expect(returned).toEqual(expect.arrayContaining([w.patientA, extra]));
    expect(upcoming.reads).toEqual([{ ...by(w.users.clinician), table_name: 'appointments', patient_id: null, patient_ids: returned }]);

    const day = await readsOf(w.as.front_desk, `/api/providers/${w.providerA}/schedule?date=${DAY}`);
    expect(day.status).toBe(200);
    expect(day.reads).toEqual([
      { ...by(w.users.front_desk), table_name: 'appointments', patient_id: null, patient_ids: [w.patientA, extra].sort((a, b) => a - b) },
    ]);
  });

  it('compliance finds a search hit when asking who read a patient', async () => {
    const id = await createPatient(ts.db.knex, { name: 'Wanda Whoreadme' });
    await w.as.front_desk.get('/api/patients?q=whoreadme');
    const res = await w.as.compliance.get(`/api/audit?patientId=${id}&action=read`);
    expect(res.status).toBe(200);
    expect((res.body as { items: { actorUserId: number; patientIds: number[] }[] }).items).toEqual([
      expect.objectContaining({ actorUserId: w.users.front_desk.userId, patientIds: [id] }),
    ]);
  });

  it('GET /api/waitlist, GET /api/billing/charges and GET /api/compliance/patients: one row listing every patient returned', async () => {
    const booked = await w.as.front_desk.post('/api/waitlist', {
      patientId: w.patientA,
      providerId: w.providerA,
      earliest: at('08:00'),
      latest: at('12:00'),
      durationMin: 30,
    });
    expect(booked.status).toBe(201);
    const waitlist = await readsOf(w.as.front_desk, `/api/waitlist?providerId=${w.providerA}`);
    expect(waitlist.status).toBe(200);
    expect(waitlist.reads).toEqual([{ ...by(w.users.front_desk), table_name: 'patients', patient_id: w.patientA, patient_ids: [w.patientA] }]);

    const charges = await readsOf(w.as.billing, '/api/billing/charges');
    expect(charges.status).toBe(200);
    const billed = [...new Set((charges.body as { items: { patientId: number }[] }).items.map((c) => c.patientId))].sort((a, b) => a - b);
    expect(billed).toContain(w.billedPatient);
    expect(charges.reads).toEqual([{ ...by(w.users.billing), table_name: 'patients', patient_id: billed.length === 1 ? billed[0] : null, patient_ids: billed }]);

    const found = await readsOf(w.as.compliance, '/api/compliance/patients?q=Alice');
    expect(found.status).toBe(200);
    expect(found.reads).toEqual([{ ...by(w.users.compliance), table_name: 'patients', patient_id: w.patientA, patient_ids: [w.patientA] }]);
    const nobody = await readsOf(w.as.compliance, '/api/compliance/patients?q=nobodyisnamedlikethis');
    expect(nobody.reads).toEqual([]);
  });

  it('GET /api/patients/:id/panel: a row for the demographics, besides the audited clinical reads', async () => {
    const r = await readsOf(w.as.clinician, `/api/patients/${w.patientA}/panel`);
    expect(r.status).toBe(200);
    expect(r.reads).toContainEqual({ ...by(w.users.clinician), table_name: 'patients', patient_id: w.patientA, patient_ids: [w.patientA] });
  });

  it('POST /api/waitlist and GET /api/break-glass: the patient each answer names is recorded as read', async () => {
    const k = ts.db.knex;
    const waiting = await createPatient(k, { name: 'Wanda Waitlisted' });
    const added = await readsOf(w.as.front_desk, '/api/waitlist', { patientId: waiting, providerId: w.providerB, earliest: at('13:00'), latest: at('15:00'), durationMin: 30 });
    expect(added.status).toBe(201);
    expect(added.reads).toEqual([{ ...by(w.users.front_desk), table_name: 'patients', patient_id: waiting, patient_ids: [waiting] }]);

    const stranger = await createPatient(k, { name: 'Gus Glassbroken' });
    expect((await w.as.clinician.post(`/api/patients/${stranger}/break-glass`, { reason: 'Collapsed in the waiting room', minutes: 30 })).status).toBe(201);
    const grants = await readsOf(w.as.clinician, '/api/break-glass');
    expect(grants.status).toBe(200);
    expect(grants.reads).toEqual([{ ...by(w.users.clinician), table_name: 'patients', patient_id: stranger, patient_ids: [stranger] }]);
  });

  it('a schedule or a search whose audit row cannot be written shows nobody', async () => {
    // The rows and their audit row come from one statement: if the durable writer refuses the
    // row, the request fails and no patient leaves the server (this database only).
    const k = ts.db.knex;
    const name = 'Nora Noaudit';
    const id = await createPatient(k, { name });
    await insertAppointment(k, { patientId: id, providerId: w.providerA, scheduledAt: `${DAY}T14:00:00-05:00` });
    await k.raw(`CREATE FUNCTION test_refuse_reads() RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
      BEGIN IF NEW.action = 'read' THEN RAISE EXCEPTION 'read audit refused by the test'; END IF; RETURN NEW; END $$`);
    await k.raw('CREATE TRIGGER test_refuse_reads BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION test_refuse_reads()');
    try {
      const day = await w.as.front_desk.get(`/api/providers/${w.providerA}/schedule?date=${DAY}`);
      expect(day.status).toBe(500);
      expect(JSON.stringify(day.body)).not.toContain(name);
      const search = await w.as.front_desk.get('/api/patients?q=noaudit');
      expect(search.status).toBe(500);
      expect(JSON.stringify(search.body)).not.toContain(name);
      // The front desk's whole clinic day: the same one statement, the same refusal.
      const clinicDay = await w.as.front_desk.get(`/api/clinic/day?date=${DAY}`);
      expect(clinicDay.status).toBe(500);
      expect(JSON.stringify(clinicDay.body)).not.toContain(name);
    } finally {
      await k.raw('DROP TRIGGER test_refuse_reads ON audit_log');
      await k.raw('DROP FUNCTION test_refuse_reads()');
    }
    const again = await readsOf(w.as.front_desk, '/api/patients?q=noaudit');
    expect(again.status).toBe(200);
    expect(again.reads).toEqual([{ ...by(w.users.front_desk), table_name: 'patients', patient_id: id, patient_ids: [id] }]);
  });
});
