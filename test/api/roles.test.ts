/**
 * Every row of the API table, through the real server and database: the allowed
 * role succeeds, every other role gets 403 (or 404 where the database hides the
 * row), and a refused request changes nothing (a snapshot of every data table is
 * compared before and after).
 *
 * The per-patient outcomes (a clinician's other patients read as 404, billing sees
 * only billed patients, front desk gets no full contact) are decided by the grants
 * and row-level security of migration 20261125000010_access_control; the API only
 * picks the relation for the role.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STAFF_ROLES, type StaffRole } from '../../shared/vocabulary.js';
import { startTestServer, TEST_MASTER_KEY, TEST_METRICS_TOKEN, type ApiClient, type ApiResponse, type TestServer } from '../support/server.js';
import { FieldCrypto } from '../../server/crypto/index.js';
import { noteContext } from '../../server/db/repository/visit-notes.js';
import { at, buildWorld, DAY, snapshot, type World } from '../support/api-world.js';
import { onClinicMorning, createPatient, insertAppointment } from '../support/clinic.js';

let ts: TestServer;
let w: World;
beforeAll(async () => {
  ts = await startTestServer();
  w = await buildWorld(ts);
});
afterAll(async () => ts.close());

const ROLES: StaffRole[] = ['front_desk', 'clinician', 'billing', 'manager', 'compliance'];

function expectErrorShape(res: ApiResponse, status: number | number[]) {
  expect([status].flat()).toContain(res.status);
  expect(res.body).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
}

/** Every role not in `allowed` (and an anonymous client) is refused, and no table changes. */
async function refusedForOthers(allowed: StaffRole[], call: (c: ApiClient) => Promise<ApiResponse>) {
  const before = await snapshot(ts.db.knex);
  for (const role of ROLES.filter((r) => !allowed.includes(r))) {
    const res = await call(w.as[role]);
    expectErrorShape(res, 403);
    expect(res.body.error.code, role).toBe('forbidden');
  }
  const anon = await call(w.as.anonymous);
  expectErrorShape(anon, 401);
  expect(await snapshot(ts.db.knex)).toEqual(before);
}

const scheduled = (hhmm: string, patientId = w.freePatient, providerId = w.providerA) =>
  insertAppointment(ts.db.knex, { patientId, providerId, scheduledAt: at(hhmm) });

describe('GET /api/providers', () => {
  it('answers every staff role', async () => {
    for (const role of ROLES) {
      const res = await w.as[role].get('/api/providers');
      expect(res.status, role).toBe(200);
      expect(res.body.items.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['Dr Ada Alvarez', 'Dr Ben Brooks']));
    }
    expectErrorShape(await w.as.anonymous.get('/api/providers'), 401);
  });
});

describe('GET /api/patients?q=', () => {
  it('front desk finds any patient as a summary without full contact', async () => {
    const res = await w.as.front_desk.get('/api/patients?q=bob');
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([
      expect.objectContaining({ patientId: w.patientB, name: 'Bob Brown', birthYear: 1980, emailMasked: 'b***@example.org' }),
    ]);
    expect(res.text).not.toContain('bob@example.org');
  });

  it('a clinician finds only their own patients, in full', async () => {
    const own = await w.as.clinician.get('/api/patients?q=alice');
    expect(own.body.items).toEqual([expect.objectContaining({ patientId: w.patientA, email: 'alice@example.org', dob: '1980-05-17' })]);
    const other = await w.as.clinician.get('/api/patients?q=bob');
    expect(other.status).toBe(200);
    expect(other.body.items).toEqual([]);
  });

  it('pages', async () => {
    await createPatient(ts.db.knex, { name: 'Paging One' });
    await createPatient(ts.db.knex, { name: 'Paging Two' });
    const first = await w.as.front_desk.get('/api/patients?q=paging&limit=1');
    expect(first.body.items.map((p: { name: string }) => p.name)).toEqual(['Paging One']);
    expect(first.body.nextOffset).toBe(1);
    const second = await w.as.front_desk.get('/api/patients?q=paging&limit=1&offset=1');
    expect(second.body.items.map((p: { name: string }) => p.name)).toEqual(['Paging Two']);
    expect(second.body.nextOffset).toBeNull();
  });

  it('is refused to other roles', async () => {
    await refusedForOthers(['front_desk', 'clinician'], (c) => c.get('/api/patients?q=a'));
  });
});

describe('POST /api/patients', () => {
  const body = { name: 'Erin Evans', dob: '1991-02-03', email: 'Erin@Example.org', phone: '+1 555 010 9999' };

  it('is refused to every role but front desk, with nothing written', async () => {
    await refusedForOthers(['front_desk'], (c) => c.post('/api/patients', body));
  });

  it('front desk registers a patient: 201 with the id', async () => {
    const res = await w.as.front_desk.post('/api/patients', body);
    expect(res.status).toBe(201);
    const { rows } = await ts.db.knex.raw('SELECT name, email FROM patients WHERE patient_id = ?', [res.body.id]);
    expect(rows[0]).toEqual({ name: 'Erin Evans', email: 'erin@example.org' });
    const dup = await w.as.front_desk.post('/api/patients', { ...body, name: 'Someone Else' });
    expectErrorShape(dup, 409);
    expect(dup.body.error.code).toBe('duplicate_email');
  });
});

describe('GET /api/patients/:id', () => {
  it('shows each role what it may see, and 404 for a patient it may not', async () => {
    const fd = await w.as.front_desk.get(`/api/patients/${w.patientA}`);
    expect(fd.status).toBe(200);
    // The full date of birth (issue 10: it tells two patients of the same name apart), never the contact details.
    expect(fd.body).toMatchObject({ patientId: w.patientA, name: 'Alice Anders', birthYear: 1980, dob: '1980-05-17', emailMasked: 'a***@example.org', phoneLast4: '***-1234' });
    expect(fd.body).not.toHaveProperty('email');
    expect(fd.body).not.toHaveProperty('phone');

    const cl = await w.as.clinician.get(`/api/patients/${w.patientA}`);
    expect(cl.body).toMatchObject({ patientId: w.patientA, email: 'alice@example.org', phone: '+1 555 010 1234', dob: '1980-05-17' });
    const hidden = await w.as.clinician.get(`/api/patients/${w.patientB}`);
    expectErrorShape(hidden, 404);
    // Indistinguishable from a patient that does not exist.
    const missing = await w.as.clinician.get('/api/patients/2000000000');
    expect(missing.body).toEqual(hidden.body);

    const bill = await w.as.billing.get(`/api/patients/${w.billedPatient}`);
    expect(bill.body).toEqual({ patientId: w.billedPatient, name: 'Carla Cruz', dob: '1980-05-17' });
    expectErrorShape(await w.as.billing.get(`/api/patients/${w.patientA}`), 404);
  });

  it('is refused to manager and compliance', async () => {
    await refusedForOthers(['front_desk', 'clinician', 'billing'], (c) => c.get(`/api/patients/${w.patientA}`));
  });
});

describe('GET /api/patients/:id/appointments', () => {
  it('front desk and the patient\'s clinician get the history, newest first', async () => {
    await insertAppointment(ts.db.knex, { patientId: w.patientA, providerId: w.providerA, scheduledAt: '2026-02-02T15:00:00Z', status: 'no_show' });
    for (const c of [w.as.front_desk, w.as.clinician]) {
      const res = await c.get(`/api/patients/${w.patientA}/appointments`);
      expect(res.status).toBe(200);
      const times = res.body.items.map((a: { scheduledAt: string }) => a.scheduledAt);
      expect(times.length).toBeGreaterThanOrEqual(2);
      expect([...times].sort().reverse()).toEqual(times);
    }
    expectErrorShape(await w.as.clinicianB.get(`/api/patients/${w.patientA}/appointments`), 404);
  });

  it('is refused to other roles', async () => {
    await refusedForOthers(['front_desk', 'clinician'], (c) => c.get(`/api/patients/${w.patientA}/appointments`));
  });
});

describe('GET /api/providers/:id/schedule', () => {
  it('front desk reads any provider\'s day in order; a clinician only their own', async () => {
    await scheduled('11:00');
    await scheduled('10:00', w.billedPatient);
    const fd = await w.as.front_desk.get(`/api/providers/${w.providerA}/schedule?date=${DAY}`);
    expect(fd.status).toBe(200);
    const times = fd.body.items.map((a: { scheduledAt: string }) => a.scheduledAt);
    expect([...times].sort()).toEqual(times);
    expect(fd.body.items.length).toBeGreaterThanOrEqual(3);
    const own = await w.as.clinician.get(`/api/providers/${w.providerA}/schedule?date=${DAY}`);
    expect(own.status).toBe(200);
    expect(own.body.items.map((a: { appointmentId: number }) => a.appointmentId)).toEqual(fd.body.items.map((a: { appointmentId: number }) => a.appointmentId));
    const other = await w.as.clinician.get(`/api/providers/${w.providerB}/schedule?date=${DAY}`);
    expectErrorShape(other, 403);
    expectErrorShape(await w.as.front_desk.get(`/api/providers/2000000000/schedule?date=${DAY}`), 404);
  });

  it('is refused to other roles', async () => {
    await refusedForOthers(['front_desk', 'clinician'], (c) => c.get(`/api/providers/${w.providerA}/schedule?date=${DAY}`));
  });
});

describe('GET /api/appointments/upcoming', () => {
  it('front desk sees every provider; a clinician their own', async () => {
    const fd = await w.as.front_desk.get('/api/appointments/upcoming?limit=500');
    expect(fd.status).toBe(200);
    const providers = new Set(fd.body.items.map((a: { providerId: number }) => a.providerId));
    expect(providers).toEqual(new Set([w.providerA, w.providerB]));
    const cl = await w.as.clinician.get('/api/appointments/upcoming');
    expect(cl.status).toBe(200);
    expect(cl.body.items.length).toBeGreaterThan(0);
    expect(cl.body.items.every((a: { providerId: number }) => a.providerId === w.providerA)).toBe(true);
  });

  it('is refused to other roles', async () => {
    await refusedForOthers(['front_desk', 'clinician'], (c) => c.get('/api/appointments/upcoming'));
  });
});

describe('POST /api/appointments', () => {
  it('is refused to every role but front desk, with nothing written', async () => {
    const body = { patientId: w.freePatient, providerId: w.providerB, scheduledAt: at('13:00'), durationMin: 30 };
    await refusedForOthers(['front_desk'], (c) => c.post('/api/appointments', body));
  });

  it('front desk books; an overlap is 409 double_booking naming the time in the way', async () => {
    const body = { patientId: w.freePatient, providerId: w.providerB, scheduledAt: at('14:00'), durationMin: 30 };
    const res = await w.as.front_desk.post('/api/appointments', body);
    expect(res.status).toBe(201);
    expect(res.body.id).toEqual(expect.any(Number));
    expect(res.body.appointment).toMatchObject({ status: 'scheduled', providerId: w.providerB, clinicDate: DAY });

    const before = await snapshot(ts.db.knex);
    const clash = await w.as.front_desk.post('/api/appointments', { ...body, patientId: w.billedPatient, scheduledAt: at('14:15') });
    expect(clash.status).toBe(409);
    expect(clash.body.error.code).toBe('double_booking');
    expect(clash.body.error.message).toContain(`${DAY} 14:00 to 14:30`);
    expect(clash.body.error.details.conflict).toMatchObject({ appointmentId: res.body.id, durationMin: 30 });
    const samePatient = await w.as.front_desk.post('/api/appointments', { ...body, providerId: w.providerA, scheduledAt: at('14:10') });
    expect(samePatient.status).toBe(409);
    expect(samePatient.body.error.code).toBe('patient_double_booking');
    expect(await snapshot(ts.db.knex)).toEqual(before);
  });
});

describe('PATCH /api/appointments/:id', () => {
  it('is refused to every role but front desk, with nothing changed', async () => {
    const id = await scheduled('15:00');
    await refusedForOthers(['front_desk'], (c) => c.patch(`/api/appointments/${id}`, { scheduledAt: at('15:30') }));
  });

  it('front desk reschedules; an overlap is 409 double_booking; a finished one is 409 invalid_transition', async () => {
    const id = await scheduled('16:00');
    const moved = await w.as.front_desk.patch(`/api/appointments/${id}`, { scheduledAt: at('16:30'), durationMin: 45 });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ appointmentId: id, durationMin: 45, scheduledAt: '2030-03-04T21:30:00.000Z' });
    const longer = await w.as.front_desk.patch(`/api/appointments/${id}`, { durationMin: 60 });
    expect(longer.body).toMatchObject({ durationMin: 60, scheduledAt: '2030-03-04T21:30:00.000Z' });
    const clash = await w.as.front_desk.patch(`/api/appointments/${id}`, { scheduledAt: at('09:00') });
    expect(clash.status).toBe(409);
    expect(clash.body.error.code).toBe('double_booking');
    expect(clash.body.error.message).toContain('09:00');
    await ts.db.knex.raw("UPDATE appointments SET status = 'no_show' WHERE appointment_id = ?", [id]);
    const late = await w.as.front_desk.patch(`/api/appointments/${id}`, { scheduledAt: at('18:00') });
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('invalid_transition');
    expectErrorShape(await w.as.front_desk.patch('/api/appointments/2000000000', { durationMin: 30 }), 404);
  });
});

describe('POST /api/appointments/:id/check-in, /cancel, /no-show', () => {
  it('are refused to every role but front desk, with nothing changed', async () => {
    const id = await scheduled('12:00');
    for (const action of ['check-in', 'cancel', 'no-show']) {
      await refusedForOthers(['front_desk'], (c) => c.post(`/api/appointments/${id}/${action}`));
    }
  });

  it('front desk changes the status; an illegal transition is 409 invalid_transition', async () => {
    // Check-in only on the appointment's day and no-show only after its start: appointments
    // that start this minute, recorded by the administrator (staff may not book in the past).
    await onClinicMorning(ts.db.knex, async ({ now }) => {
      const a = await insertAppointment(ts.db.knex, { patientId: await createPatient(ts.db.knex), providerId: w.providerA, scheduledAt: now });
      const checkedIn = await w.as.front_desk.post(`/api/appointments/${a}/check-in`);
      expect(checkedIn.status).toBe(200);
      expect(checkedIn.body.status).toBe('checked_in');
      const noShow = await w.as.front_desk.post(`/api/appointments/${a}/no-show`);
      expect(noShow.status).toBe(409);
      expect(noShow.body.error.code).toBe('invalid_transition');
      expect((await w.as.front_desk.post(`/api/appointments/${a}/cancel`)).body.status).toBe('cancelled');
      const b = await insertAppointment(ts.db.knex, { patientId: await createPatient(ts.db.knex), providerId: w.providerB, scheduledAt: now });
      expect((await w.as.front_desk.post(`/api/appointments/${b}/no-show`)).body.status).toBe('no_show');
      expect((await w.as.front_desk.post(`/api/appointments/${b}/check-in`)).body.error.code).toBe('invalid_transition');
      expectErrorShape(await w.as.front_desk.post('/api/appointments/2000000000/cancel'), 404);
    });
  });
});

describe('POST /api/appointments/:id/complete and GET /api/patients/:id/prescriptions', () => {
  const completion = () => ({
    notes: 'Canary note: patient reports improved sleep.',
    diagnoses: [{ code: 'E11.9', description: 'Type 2 diabetes mellitus without complications' }],
    prescriptions: [{ medicationId: w.medicationId, dosage: '500 mg twice daily', startDate: '2026-01-01' }],
  });

  it('is refused to every role but the appointment\'s own clinician, with nothing written', async () => {
    const id = await insertAppointment(ts.db.knex, { patientId: w.patientA, providerId: w.providerA, scheduledAt: at('07:00'), status: 'checked_in' });
    await refusedForOthers(['clinician'], (c) => c.post(`/api/appointments/${id}/complete`, completion()));
    const before = await snapshot(ts.db.knex);
    const stranger = await w.as.clinicianB.post(`/api/appointments/${id}/complete`, completion());
    expectErrorShape(stranger, [403, 404]);
    expect(await snapshot(ts.db.knex)).toEqual(before);
  });

  it('the own clinician completes it: 201 with visitId, the note stored only as ciphertext; prescriptions read back', async () => {
    const id = await insertAppointment(ts.db.knex, { patientId: w.patientA, providerId: w.providerA, scheduledAt: at('07:30'), status: 'checked_in' });
    const res = await w.as.clinician.post(`/api/appointments/${id}/complete`, completion());
    expect(res.status).toBe(201);
    expect(res.body.visitId).toEqual(expect.any(Number));
    expect(res.body.appointment.status).toBe('completed');
    const { rows } = await ts.db.knex.raw('SELECT ciphertext FROM visit_notes WHERE visit_id = ?', [res.body.visitId]);
    expect(rows).toHaveLength(1);
    expect(Buffer.from(rows[0].ciphertext).toString('latin1')).not.toContain('Canary');
    // ... and opens with the patient's data key under the master key, bound to this visit.
    const key = (await ts.db.knex.raw('SELECT wrapped_key FROM patient_keys WHERE patient_id = ?', [w.patientA])).rows[0].wrapped_key;
    const dataKey = new FieldCrypto(TEST_MASTER_KEY).unwrapDataKey(w.patientA, key);
    expect(dataKey.decrypt(rows[0].ciphertext, noteContext(res.body.visitId))).toBe(completion().notes);
    const again = await w.as.clinician.post(`/api/appointments/${id}/complete`, completion());
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('invalid_transition');

    const rx = await w.as.clinician.get(`/api/patients/${w.patientA}/prescriptions?active=true`);
    expect(rx.status).toBe(200);
    expect(rx.body.items).toEqual([expect.objectContaining({ medicationName: 'Metformin', dosage: '500 mg twice daily', endDate: null })]);
    expectErrorShape(await w.as.clinicianB.get(`/api/patients/${w.patientA}/prescriptions`), 404);
  });

  it('is all or nothing: an unknown medication leaves no visit, diagnosis or status change', async () => {
    const id = await insertAppointment(ts.db.knex, { patientId: w.patientA, providerId: w.providerA, scheduledAt: at('06:00'), status: 'checked_in' });
    const before = await snapshot(ts.db.knex);
    const res = await w.as.clinician.post(`/api/appointments/${id}/complete`, {
      ...completion(),
      prescriptions: [{ medicationId: 2_000_000_000, dosage: '1 daily', startDate: '2026-01-01' }],
    });
    expectErrorShape(res, 400);
    expect(await snapshot(ts.db.knex)).toEqual(before);
  });

  it('prescriptions are refused to every role but clinicians', async () => {
    await refusedForOthers(['clinician'], (c) => c.get(`/api/patients/${w.patientA}/prescriptions`));
  });
});

describe('GET /api/medications', () => {
  it('clinicians read the formulary; others are refused', async () => {
    const res = await w.as.clinician.get('/api/medications');
    expect(res.status).toBe(200);
    expect(res.body.items).toContainEqual({ medicationId: w.medicationId, name: 'Metformin', form: 'tablet', strength: '500 mg' });
    await refusedForOthers(['clinician'], (c) => c.get('/api/medications'));
  });
});

describe('GET /api/analytics/no-show-rate and /volume', () => {
  it('managers get per-provider monthly rows; others are refused', async () => {
    const rate = await w.as.manager.get('/api/analytics/no-show-rate?from=2026-01&to=2026-12');
    expect(rate.status).toBe(200);
    expect(rate.body.items).toContainEqual(
      expect.objectContaining({ providerId: w.providerA, providerName: 'Dr Ada Alvarez', month: '2026-02', noShows: 1 }),
    );
    const volume = await w.as.manager.get('/api/analytics/volume?from=2030-03&to=2030-03');
    expect(volume.status).toBe(200);
    expect(volume.body.items).toContainEqual(expect.objectContaining({ providerId: w.providerB, month: '2030-03', appointments: expect.any(Number) }));
    for (const path of ['/api/analytics/no-show-rate', '/api/analytics/volume']) {
      await refusedForOthers(['manager'], (c) => c.get(path));
    }
  });
});

describe('GET /api/audit', () => {
  it('compliance reads the log, filtered and paged; others are refused', async () => {
    const res = await w.as.compliance.get(`/api/audit?patientId=${w.patientA}&limit=2`);
    expect(res.status).toBe(200);
    expect(res.body.items).toHaveLength(2);
    expect(res.body.items.every((e: { patientId: number }) => e.patientId === w.patientA)).toBe(true);
    const next = await w.as.compliance.get(`/api/audit?patientId=${w.patientA}&limit=2&before=${res.body.nextBefore}`);
    expect(next.body.items[0].auditId).toBeLessThan(res.body.items[1].auditId);
    const reads = await w.as.compliance.get('/api/audit?action=read&table=prescriptions');
    expect(reads.body.items.length).toBeGreaterThan(0);
    await refusedForOthers(['compliance'], (c) => c.get('/api/audit'));
  });
});

describe('POST /api/patients/:id/erase', () => {
  it('is refused to every role but compliance, with nothing changed', async () => {
    await refusedForOthers(['compliance'], (c) => c.post(`/api/patients/${w.patientB}/erase`, { reason: 'Erasure request ticket 1' }));
  });

  it('compliance erases; a legal hold is refused with 409 and recorded', async () => {
    const res = await w.as.compliance.post(`/api/patients/${w.patientB}/erase`, { reason: 'Erasure request ticket 2' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ patientId: w.patientB, outcome: 'erased' });
    const { rows } = await ts.db.knex.raw('SELECT name, email FROM patients WHERE patient_id = ?', [w.patientB]);
    expect(rows[0].name).not.toContain('Bob');
    expect(rows[0].email).toBeNull();
    expect((await w.as.compliance.post(`/api/patients/${w.patientB}/erase`, { reason: 'Erasure request ticket 3' })).body.outcome).toBe('already_erased');

    await ts.db.knex.raw("UPDATE patients SET legal_hold_reason = 'Litigation hold 2026-17' WHERE patient_id = ?", [w.billedPatient]);
    const held = await w.as.compliance.post(`/api/patients/${w.billedPatient}/erase`, { reason: 'Erasure request ticket 4' });
    expect(held.status).toBe(409);
    expect(held.body.error.code).toBe('legal_hold');
    const ledger = await ts.db.knex.raw("SELECT count(*)::int AS n FROM erasures WHERE patient_id = ? AND outcome = 'refused_legal_hold'", [w.billedPatient]);
    expect(ledger.rows[0].n).toBe(1);
    expectErrorShape(await w.as.compliance.post('/api/patients/2000000000/erase', { reason: 'Erasure request ticket 5' }), 404);
  });
});

describe('documentation and operations', () => {
  it('serves the OpenAPI document and the reference page to anyone', async () => {
    const doc = await w.as.anonymous.get('/api/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.1.0');
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/api/appointments', '/api/patients/{id}/erase', '/api/audit']));
    // The document is the validator: the booking schema requires exactly what the API requires and nothing more.
    const booking = doc.body.components.schemas.BookingRequest;
    expect(booking.required.sort()).toEqual(['durationMin', 'patientId', 'providerId', 'scheduledAt']);
    expect(booking.additionalProperties).toBe(false);
    expect(booking.properties.durationMin).toMatchObject({ minimum: 5, maximum: 480 });
    expect(doc.body.paths['/api/appointments'].post.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/BookingRequest' });
    expect(doc.body.paths['/api/providers/{id}/schedule'].get['x-roles']).toEqual(['front_desk', 'clinician']);
    // A role is one word of the vocabulary, for the signed-in user and in compliance's account list alike.
    expect(doc.body.components.schemas.StaffAccount.properties.role).toEqual(doc.body.components.schemas.StaffUser.properties.role);
    expect(doc.body.components.schemas.StaffAccount.properties.role.enum).toEqual([...STAFF_ROLES]);
    const page = await w.as.anonymous.get('/api/docs');
    expect(page.status).toBe(200);
    expect(page.text).toContain('swagger-ui');
  });

  it('answers /healthz, /readyz and /metrics', async () => {
    expect((await w.as.anonymous.get('/healthz')).body).toEqual({ status: 'ok' });
    expect((await w.as.anonymous.get('/readyz')).status).toBe(200);
    const metrics = await w.as.anonymous.get('/metrics', { headers: { authorization: `Bearer ${TEST_METRICS_TOKEN}` } });
    expect(metrics.text).toContain('http_request_duration_seconds_bucket');
    expect(metrics.text).toContain('route="/api/providers"');
    expect(metrics.text).toContain('db_pool_connections_used');
  });
});
