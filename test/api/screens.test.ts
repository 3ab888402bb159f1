/**
 * The endpoints behind the role screens (issue 11), through the real server and
 * database: who may call each, a 400 naming the field for bad input, and a row the
 * caller may not see answering 404 like one that does not exist.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StaffRole } from '../../server/db/index.js';
import { startTestServer, type ApiClient, type ApiResponse, type TestServer } from '../support/server.js';
import { at, buildWorld, snapshot, type World } from '../support/api-world.js';
import { createMedication, createPatient, insertAppointment } from '../support/clinic.js';

let ts: TestServer;
let w: World;
beforeAll(async () => {
  ts = await startTestServer();
  w = await buildWorld(ts);
});
afterAll(async () => ts.close());

const ROLES: StaffRole[] = ['front_desk', 'clinician', 'billing', 'manager', 'compliance'];

async function refusedForOthers(allowed: StaffRole[], call: (c: ApiClient) => Promise<ApiResponse>) {
  const before = await snapshot(ts.db.knex);
  for (const role of ROLES.filter((r) => !allowed.includes(r))) {
    const res = await call(w.as[role]);
    expect(res.status, role).toBe(403);
    expect(res.body.error.code, role).toBe('forbidden');
  }
  expect((await call(w.as.anonymous)).status).toBe(401);
  expect(await snapshot(ts.db.knex)).toEqual(before);
}

function expect400(res: ApiResponse, path: string) {
  expect(res.status).toBe(400);
  expect(res.body.error.code).toBe('invalid_request');
  expect(res.body.error.details.issues.map((i: { path: string }) => i.path)).toContain(path);
}

const auditCount = async (patientId: number) =>
  Number((await ts.db.knex.raw("SELECT count(*) AS n FROM audit_log WHERE patient_id = ? AND action = 'read'", [patientId])).rows[0].n);

describe('GET /api/icd10', () => {
  it('finds codes by code prefix, with or without the dot, and by words of the description', async () => {
    const byCode = await w.as.clinician.get('/api/icd10?q=e11');
    expect(byCode.status).toBe(200);
    expect(byCode.body.items.map((c: { code: string }) => c.code)).toEqual(['E11.65', 'E11.9']);
    expect((await w.as.clinician.get('/api/icd10?q=E119')).body.items).toEqual([{ code: 'E11.9', description: 'Type 2 diabetes mellitus without complications' }]);
    expect((await w.as.clinician.get('/api/icd10?q=E11.9')).body.items[0].code).toBe('E11.9');
    const byWords = await w.as.clinician.get('/api/icd10?q=' + encodeURIComponent('diab hyperglyc'));
    expect(byWords.body.items).toEqual([{ code: 'E11.65', description: 'Type 2 diabetes mellitus with hyperglycemia' }]);
    // Words match at word starts only: "ension" is inside "hypertension", not a word of it.
    expect((await w.as.clinician.get('/api/icd10?q=ension')).body.items).toEqual([]);
    expect((await w.as.clinician.get('/api/icd10?q=%25')).body.items).toEqual([]);
    expect((await w.as.clinician.get('/api/icd10?q=pain&limit=2')).body.items).toHaveLength(2);
  });

  it('is for clinicians; a blank query or a bad limit is a 400 naming the field', async () => {
    await refusedForOthers(['clinician'], (c) => c.get('/api/icd10?q=I10'));
    expect400(await w.as.clinician.get('/api/icd10?q=%20'), 'query.q');
    expect400(await w.as.clinician.get('/api/icd10'), 'query.q');
    expect400(await w.as.clinician.get('/api/icd10?q=I10&limit=51'), 'query.limit');
    expect400(await w.as.clinician.get('/api/icd10?q=I10&sort=x'), 'query');
  });
});

describe('GET /api/medications?q=', () => {
  it('searches the formulary by words of name, form and strength', async () => {
    await createMedication(ts.db.knex, { name: 'Metformin', form: 'tablet', strength: '1000 mg' });
    await createMedication(ts.db.knex, { name: 'Salbutamol', form: 'inhaler', strength: '100 mcg/dose' });
    const res = await w.as.clinician.get('/api/medications?q=metf');
    expect(res.body.items.map((m: { strength: string }) => m.strength)).toEqual(['1000 mg', '500 mg']);
    expect((await w.as.clinician.get('/api/medications?q=' + encodeURIComponent('metformin 500'))).body.items).toEqual([
      { medicationId: w.medicationId, name: 'Metformin', form: 'tablet', strength: '500 mg' },
    ]);
    expect((await w.as.clinician.get('/api/medications?q=inhaler')).body.items.map((m: { name: string }) => m.name)).toEqual(['Salbutamol']);
    expect400(await w.as.clinician.get('/api/medications?limit=0'), 'query.limit');
    await refusedForOthers(['clinician'], (c) => c.get('/api/medications?q=metf'));
  });
});

describe('GET /api/billing/charges', () => {
  it('billing sees the charge of a completed visit with name, dob, provider, date and status', async () => {
    const res = await w.as.billing.get('/api/billing/charges');
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([
      expect.objectContaining({ patientId: w.billedPatient, patientName: 'Carla Cruz', patientDob: '1980-05-17', providerName: 'Dr Ben Brooks', serviceDate: '2026-01-05', status: 'pending', amountCents: null }),
    ]);
    expect(res.body.nextBefore).toBeNull();
    expect(res.text).not.toMatch(/diagnos|dosage|note/i);
  });

  it('filters by status and date of service, and pages', async () => {
    expect((await w.as.billing.get('/api/billing/charges?status=paid')).body.items).toEqual([]);
    expect((await w.as.billing.get('/api/billing/charges?status=pending&from=2026-01-05&to=2026-01-05')).body.items).toHaveLength(1);
    expect((await w.as.billing.get('/api/billing/charges?from=2026-01-06')).body.items).toEqual([]);
    const first = await w.as.billing.get('/api/billing/charges?limit=1');
    expect(first.body.nextBefore).toMatch(/^2026-01-05_\d+$/);
    expect((await w.as.billing.get(`/api/billing/charges?limit=1&before=${first.body.nextBefore}`)).body.items).toEqual([]);
  });

  it('is for billing; bad filters are a 400 naming the field', async () => {
    await refusedForOthers(['billing'], (c) => c.get('/api/billing/charges'));
    expect400(await w.as.billing.get('/api/billing/charges?status=open'), 'query.status');
    expect400(await w.as.billing.get('/api/billing/charges?from=2026-02-30'), 'query.from');
    expect400(await w.as.billing.get('/api/billing/charges?from=2026-03-01&to=2026-02-01'), 'query.from');
    expect400(await w.as.billing.get('/api/billing/charges?before=yesterday'), 'query.before');
  });
});

describe('GET /api/patients/:id/panel and GET /api/visits/:id/note', () => {
  let visitId: number;
  beforeAll(async () => {
    const appt = await insertAppointment(ts.db.knex, { patientId: w.patientA, providerId: w.providerA, scheduledAt: at('08:00'), status: 'checked_in' });
    const done = await w.as.clinician.post(`/api/appointments/${appt}/complete`, {
      notes: 'Panel note: feels better.',
      diagnoses: [{ code: 'I10', description: 'Essential (primary) hypertension' }],
      prescriptions: [{ medicationId: w.medicationId, dosage: '500 mg daily', startDate: '2026-01-01' }],
    });
    expect(done.status).toBe(201);
    visitId = done.body.visitId;
  });

  it('shows the clinician their patient: demographics, appointments, visits with diagnoses and prescriptions, active prescriptions', async () => {
    const before = await auditCount(w.patientA);
    const res = await w.as.clinician.get(`/api/patients/${w.patientA}/panel`);
    expect(res.status).toBe(200);
    expect(res.body.patient).toMatchObject({ patientId: w.patientA, name: 'Alice Anders', dob: '1980-05-17', email: 'alice@example.org' });
    expect(res.body.appointments.map((a: { status: string }) => a.status)).toContain('completed');
    expect(res.body.visits).toEqual([
      expect.objectContaining({
        visitId,
        providerName: 'Dr Ada Alvarez',
        diagnoses: [expect.objectContaining({ code: 'I10' })],
        prescriptions: [expect.objectContaining({ medicationName: 'Metformin', dosage: '500 mg daily', startDate: '2026-01-01', endDate: null })],
      }),
    ]);
    expect(res.body.activePrescriptions).toEqual([expect.objectContaining({ visitId, medicationName: 'Metformin' })]);
    // Visits and prescriptions are audited reads: each open of the panel leaves rows.
    expect(await auditCount(w.patientA)).toBeGreaterThanOrEqual(before + 2);
    expect(res.text).not.toContain('Panel note');
  });

  it('opens the decrypted note, one audited read per open', async () => {
    const before = await auditCount(w.patientA);
    const res = await w.as.clinician.get(`/api/visits/${visitId}/note`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ visitId, note: 'Panel note: feels better.' });
    expect(await auditCount(w.patientA)).toBe(before + 1);
  });

  it('answers 404 for a patient or visit outside the clinician\'s care, and for nothing at all', async () => {
    expect((await w.as.clinicianB.get(`/api/patients/${w.patientA}/panel`)).status).toBe(404);
    expect((await w.as.clinician.get(`/api/patients/${w.patientB}/panel`)).status).toBe(404);
    expect((await w.as.clinician.get('/api/patients/2000000000/panel')).status).toBe(404);
    expect((await w.as.clinicianB.get(`/api/visits/${visitId}/note`)).status).toBe(404);
    expect((await w.as.clinician.get('/api/visits/2000000000/note')).status).toBe(404);
  });

  it('is for clinicians; a bad id is a 400 naming it', async () => {
    await refusedForOthers(['clinician'], (c) => c.get(`/api/patients/${w.patientA}/panel`));
    await refusedForOthers(['clinician'], (c) => c.get(`/api/visits/${visitId}/note`));
    expect400(await w.as.clinician.get('/api/patients/abc/panel'), 'params.id');
    expect400(await w.as.clinician.get('/api/visits/0/note'), 'params.id');
  });
});

describe('GET /api/providers/:id/schedule (the clinician\'s day)', () => {
  it('any day, with the time the patient was checked in', async () => {
    const patient = await createPatient(ts.db.knex, { name: 'Eve Early' });
    const appt = await insertAppointment(ts.db.knex, { patientId: patient, providerId: w.providerA, scheduledAt: '2030-03-05T10:00:00-05:00' });
    await ts.db.knex.raw("UPDATE appointments SET status = 'checked_in' WHERE appointment_id = ?", [appt]);
    const day = await w.as.clinician.get(`/api/providers/${w.providerA}/schedule?date=2030-03-05`);
    expect(day.status).toBe(200);
    const entry = day.body.items.find((a: { appointmentId: number }) => a.appointmentId === appt);
    expect(entry).toMatchObject({ patientName: 'Eve Early', status: 'checked_in' });
    expect(Math.abs(Date.parse(entry.checkedInAt) - Date.now())).toBeLessThan(60_000);
    const other = day.body.items.filter((a: { status: string }) => a.status === 'scheduled');
    for (const a of other) expect(a.checkedInAt).toBeNull();
    expect400(await w.as.clinician.get(`/api/providers/${w.providerA}/schedule?date=2030-02-30`), 'query.date');
    expect((await w.as.clinician.get(`/api/providers/${w.providerB}/schedule?date=2030-03-05`)).status).toBe(403);
  });
});

describe('GET /api/audit, enriched', () => {
  it('names the actor and the patient of each entry', async () => {
    await w.as.clinician.get(`/api/patients/${w.patientA}/panel`);
    const res = await w.as.compliance.get(`/api/audit?patientId=${w.patientA}&action=read&limit=5`);
    expect(res.status).toBe(200);
    expect(res.body.items[0]).toMatchObject({
      actorUserId: w.users.clinician.userId,
      actorUsername: w.users.clinician.username,
      actorRole: 'clinician',
      patientId: w.patientA,
      patientName: 'Alice Anders',
    });
  });
});

describe('GET /api/compliance/patients and erasure with a legal hold', () => {
  it('finds a patient by name or id, with the legal hold shown; a held patient is refused with the hold named', async () => {
    const held = await createPatient(ts.db.knex, { name: 'Hank Held' });
    await ts.db.knex.raw("UPDATE patients SET legal_hold_reason = 'Litigation 2026-77' WHERE patient_id = ?", [held]);
    const byName = await w.as.compliance.get('/api/compliance/patients?q=hank');
    expect(byName.body.items).toEqual([{ patientId: held, name: 'Hank Held', dob: '1980-05-17', legalHoldReason: 'Litigation 2026-77', erasedAt: null }]);
    expect((await w.as.compliance.get(`/api/compliance/patients?q=${held}`)).body.items).toHaveLength(1);
    const refused = await w.as.compliance.post(`/api/patients/${held}/erase`, { reason: 'GDPR request, ticket 12' });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'legal_hold', details: { legalHoldReason: 'Litigation 2026-77' } });
    expect(refused.body.error.message).toContain('Litigation 2026-77');
    await refusedForOthers(['compliance'], (c) => c.get('/api/compliance/patients?q=hank'));
    expect400(await w.as.compliance.get('/api/compliance/patients?q='), 'query.q');
  });
});

describe('GET /api/staff and POST /api/staff/:id/deactivate', () => {
  it('lists every account with role, provider and status', async () => {
    const res = await w.as.compliance.get('/api/staff');
    expect(res.status).toBe(200);
    expect(res.body.items).toContainEqual(
      expect.objectContaining({ userId: w.users.clinician.userId, role: 'clinician', providerId: w.providerA, providerName: 'Dr Ada Alvarez', active: true, deactivatedAt: null }),
    );
    await refusedForOthers(['compliance'], (c) => c.get('/api/staff'));
  });

  it('deactivates an account and ends its sessions at once; not one\'s own account', async () => {
    const victim = await ts.createUser('front_desk');
    const session = await ts.login(victim);
    expect((await session.get('/api/me')).status).toBe(200);
    await refusedForOthers(['compliance'], (c) => c.post(`/api/staff/${victim.userId}/deactivate`));
    const res = await w.as.compliance.post(`/api/staff/${victim.userId}/deactivate`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ userId: victim.userId, outcome: 'deactivated' });
    expect((await session.get('/api/me')).status).toBe(401);
    expect((await w.as.compliance.post(`/api/staff/${victim.userId}/deactivate`)).body.outcome).toBe('already_inactive');
    const own = await w.as.compliance.post(`/api/staff/${w.users.compliance.userId}/deactivate`);
    expect(own.status).toBe(409);
    expect(own.body.error.code).toBe('own_account');
    expect((await w.as.compliance.post('/api/staff/2000000000/deactivate')).status).toBe(404);
    expect400(await w.as.compliance.post('/api/staff/x/deactivate'), 'params.id');
  });
});

describe('GET /api/analytics/outcomes', () => {
  it('counts completed, no-show, cancelled and still-scheduled apart, per provider and month, filtered', async () => {
    const p = await createPatient(ts.db.knex);
    await insertAppointment(ts.db.knex, { patientId: p, providerId: w.providerB, scheduledAt: '2030-04-02T10:00:00-04:00' });
    await insertAppointment(ts.db.knex, { patientId: p, providerId: w.providerB, scheduledAt: '2030-04-03T10:00:00-04:00', status: 'cancelled' });
    const res = await w.as.manager.get(`/api/analytics/outcomes?from=2030-04&to=2030-04&providerId=${w.providerB}`);
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([
      { providerId: w.providerB, providerName: 'Dr Ben Brooks', specialty: 'Family medicine', month: '2030-04', completed: 0, noShows: 0, cancelled: 1, scheduled: 1, noShowRate: null },
    ]);
    const jan = await w.as.manager.get('/api/analytics/outcomes?from=2026-01&to=2026-01');
    expect(jan.body.items).toContainEqual(expect.objectContaining({ providerId: w.providerB, completed: 1, noShows: 0, noShowRate: 0 }));
    expect((await w.as.manager.get('/api/analytics/outcomes?from=2030-04&to=2030-04&specialty=Cardiology')).body.items).toEqual([]);
    expect((await w.as.manager.get(`/api/analytics/volume?from=2030-04&to=2030-04&providerId=${w.providerA},${w.providerB}`)).body.items).toEqual([
      expect.objectContaining({ providerId: w.providerB, appointments: 1 }),
    ]);
    await refusedForOthers(['manager'], (c) => c.get('/api/analytics/outcomes'));
    expect400(await w.as.manager.get('/api/analytics/outcomes?providerId=1;2'), 'query.providerId');
    expect400(await w.as.manager.get('/api/analytics/no-show-rate?specialty='), 'query.specialty');
  });
});

describe('POST /api/patients/:id/break-glass and GET /api/break-glass', () => {
  it('opens a patient outside the clinician\'s care for a stated time, audited high; refuses a short reason', async () => {
    const stranger = await createPatient(ts.db.knex, { name: 'Gina Glass' });
    await insertAppointment(ts.db.knex, { patientId: stranger, providerId: w.providerB, scheduledAt: at('12:00') });
    expect((await w.as.clinician.get(`/api/patients/${stranger}/panel`)).status).toBe(404);
    expect400(await w.as.clinician.post(`/api/patients/${stranger}/break-glass`, { reason: 'short' }), 'body.reason');
    expect400(await w.as.clinician.post(`/api/patients/${stranger}/break-glass`, { reason: 'Unconscious in the waiting room', minutes: 241 }), 'body.minutes');
    await refusedForOthers(['clinician'], (c) => c.post(`/api/patients/${stranger}/break-glass`, { reason: 'Unconscious in the waiting room' }));
    expect((await w.as.clinician.post('/api/patients/2000000000/break-glass', { reason: 'Unconscious in the waiting room' })).status).toBe(404);

    const res = await w.as.clinician.post(`/api/patients/${stranger}/break-glass`, { reason: 'Unconscious in the waiting room', minutes: 30 });
    expect(res.status).toBe(201);
    const minutesLeft = (Date.parse(res.body.expiresAt) - Date.now()) / 60_000;
    expect(minutesLeft).toBeGreaterThan(28);
    expect(minutesLeft).toBeLessThanOrEqual(30);
    expect((await w.as.clinician.get(`/api/patients/${stranger}/panel`)).body.patient.name).toBe('Gina Glass');
    const grants = await w.as.clinician.get('/api/break-glass');
    expect(grants.body.items).toContainEqual(expect.objectContaining({ patientId: stranger, patientName: 'Gina Glass', expiresAt: res.body.expiresAt }));
    expect((await w.as.clinicianB.get('/api/break-glass')).body.items).toEqual([]);
    const audit = await w.as.compliance.get(`/api/audit?patientId=${stranger}&action=break_glass`);
    expect(audit.body.items).toEqual([expect.objectContaining({ severity: 'high', actorUsername: w.users.clinician.username })]);
    await refusedForOthers(['clinician'], (c) => c.get('/api/break-glass'));
  });
});
