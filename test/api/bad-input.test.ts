/**
 * Hostile and broken input for every endpoint: malformed JSON, wrong content types,
 * wrong types, missing and extra fields, huge strings and bodies, impossible dates
 * and offsets, negative and enormous numbers, SQL and script payloads in paths,
 * queries and bodies. Every answer must be a 4xx with the error shape, never a 5xx,
 * and no table may change (snapshot before and after).
 *
 * Requests target rows where even a valid request could not change anything (an
 * appointment that cannot be completed, a patient that does not exist), so a
 * validation gap would show up as a wrong status, not as a silent write.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestServer, type ApiClient, type ApiResponse, type TestServer } from '../support/server.js';
import { at, buildWorld, snapshot, type World } from '../support/api-world.js';
import { insertAppointment } from '../support/clinic.js';
import type { StaffRole } from '../../server/db/index.js';

let ts: TestServer;
let w: World;
beforeAll(async () => {
  ts = await startTestServer();
  w = await buildWorld(ts);
});
afterAll(async () => ts.close());

const SQL = ["'; DROP TABLE patients; --", "1 OR 1=1", "1); DELETE FROM appointments; --", "' UNION SELECT password_hash FROM staff_users --"];
const SCRIPT = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', 'javascript:alert(1)'];
const HUGE = 'x'.repeat(20_000);
const NUMBERS = [-1, 0, 1.5, 2 ** 31, 2 ** 53 + 1, 1e308, -1e308];
const TYPES = [null, true, [], {}, 'text'];

const id = [...TYPES, ...NUMBERS.filter((n) => n !== 1.5 || true), '1', ...SQL, ...SCRIPT];
const day = ['2026-02-30', '2026-13-01', '2026-00-10', '26-01-01', '2026-1-1', 'yesterday', '2026-01-01T00:00:00Z', '', 20260101, null, HUGE, ...SQL, ...SCRIPT, '1899-12-31', '3000-01-01'];
const instantBad = [
  '2030-03-04T10:00:00', // no offset
  '2030-03-04T10:00:00+25:00',
  '2030-03-04T10:00:00+05:99',
  '2030-03-04T10:00:00 Europe/Paris',
  '2030-03-04T10:00:00[America/New_York]',
  '2030-02-30T10:00:00Z',
  '2030-03-04T24:30:00Z',
  '1999-12-31T23:00:00Z',
  '2030-03-04',
  'now',
  1_900_000_000_000,
  null,
  HUGE,
  ...SQL,
  ...SCRIPT,
];
const duration = [0, 4, 481, -30, 30.5, '30', null, 1e308, 2 ** 31, [], {}];
const freeText = (max: number) => [123, null, '', '   ', 'x'.repeat(max + 1), [], {}];
const code = ['U07.1', 'e11.9', 'E11.', 'E1', 'E11.12345', 12, null, HUGE, ...SQL, ...SCRIPT];
const nameBad = ['', '   ', 123, null, 'x'.repeat(201), ...SQL, ...SCRIPT];
const emailBad = ['not-an-email', 'a@', 123, HUGE, ...SQL, ...SCRIPT];
const phoneBad = ['abc', '123', 5551234, HUGE, ...SQL, ...SCRIPT];
const monthBad = ['2026-13', '2026-1', '26-01', '2026-01-01', '', HUGE, ...SQL, ...SCRIPT];
const limitBad = ['-1', '0', '1.5', '1e3', '99999999999999999999', 'abc', HUGE, ...SQL];
const idQueryBad = ['0', '-1', 'abc', '1.5', '99999999999', ...SQL, ...SCRIPT];
const pathIdBad = ['0', '-1', 'abc', '1.5', '1e3', '99999999999', "1'%20OR%20'1'%3D'1", '%00', '1%3B%20DROP%20TABLE%20patients', '%3Cscript%3E', 'x'.repeat(5000)];

type Who = StaffRole | 'anonymous';
interface Endpoint {
  name: string;
  who: Who;
  method: 'GET' | 'POST' | 'PATCH';
  /** Path with `:id` where a path id goes. */
  path: string;
  id?: () => number;
  body?: () => Record<string, unknown>;
  /** Invalid values per body field. */
  fields?: Record<string, unknown[]>;
  /** Fields that are required (each is also tried missing). */
  required?: string[];
  query?: () => Record<string, string>;
  params?: Record<string, string[]>;
  /** A body-less action: any body field is an error. */
  noBody?: boolean;
}

let completedAppt = 0;
let scheduledAppt = 0;

const rxItem = () => ({ medicationId: w.medicationId, dosage: '1 tablet daily', startDate: '2026-01-01' });
const endpoints = (): Endpoint[] => [
  {
    name: 'login', who: 'anonymous', method: 'POST', path: '/api/login',
    body: () => ({ username: 'nobody-here', password: 'whatever password' }),
    fields: { username: [123, null, '', 'x'.repeat(65), [], {}], password: [123, null, '', 'x'.repeat(1025), [], {}] },
    required: ['username', 'password'],
  },
  { name: 'providers', who: 'front_desk', method: 'GET', path: '/api/providers', query: () => ({}) },
  {
    name: 'search', who: 'front_desk', method: 'GET', path: '/api/patients', query: () => ({ q: 'al' }),
    params: { q: ['', '   ', 'x'.repeat(101)], limit: limitBad, offset: ['-1', '10001', 'abc', ...SQL] },
  },
  {
    name: 'register', who: 'front_desk', method: 'POST', path: '/api/patients',
    body: () => ({ name: 'Valid Name', dob: '1990-01-01', email: 'valid@example.org', phone: '+1 555 010 2000' }),
    fields: { name: nameBad, dob: [...day, '2999-01-01'], email: emailBad, phone: phoneBad },
    required: ['name', 'dob'],
  },
  { name: 'patient', who: 'front_desk', method: 'GET', path: '/api/patients/:id', id: () => w.patientA, query: () => ({}) },
  {
    name: 'history', who: 'front_desk', method: 'GET', path: '/api/patients/:id/appointments', id: () => w.patientA, query: () => ({}),
    params: { limit: limitBad, before: instantBad.filter((v): v is string => typeof v === 'string' && v !== '') },
  },
  {
    name: 'schedule', who: 'front_desk', method: 'GET', path: '/api/providers/:id/schedule', id: () => w.providerA, query: () => ({ date: '2030-03-04' }),
    params: { date: day.filter((v): v is string => typeof v === 'string') },
  },
  {
    name: 'upcoming', who: 'front_desk', method: 'GET', path: '/api/appointments/upcoming', query: () => ({}),
    params: { providerId: idQueryBad, limit: [...limitBad, '501'] },
  },
  {
    name: 'book', who: 'front_desk', method: 'POST', path: '/api/appointments',
    body: () => ({ patientId: w.patientA, providerId: w.providerA, scheduledAt: at('09:00'), durationMin: 30 }),
    fields: { patientId: id, providerId: id, scheduledAt: instantBad, durationMin: duration },
    required: ['patientId', 'providerId', 'scheduledAt', 'durationMin'],
  },
  {
    name: 'reschedule', who: 'front_desk', method: 'PATCH', path: '/api/appointments/:id', id: () => completedAppt,
    body: () => ({ scheduledAt: at('22:00'), durationMin: 30, providerId: w.providerA }),
    fields: { scheduledAt: instantBad, durationMin: duration, providerId: id },
  },
  { name: 'check-in', who: 'front_desk', method: 'POST', path: '/api/appointments/:id/check-in', id: () => completedAppt, noBody: true },
  { name: 'cancel', who: 'front_desk', method: 'POST', path: '/api/appointments/:id/cancel', id: () => completedAppt, noBody: true },
  { name: 'no-show', who: 'front_desk', method: 'POST', path: '/api/appointments/:id/no-show', id: () => completedAppt, noBody: true },
  {
    name: 'complete', who: 'clinician', method: 'POST', path: '/api/appointments/:id/complete', id: () => scheduledAppt,
    body: () => ({ notes: 'ok', diagnoses: [{ code: 'E11.9', description: 'Type 2 diabetes' }], prescriptions: [rxItem()] }),
    fields: {
      notes: [123, null, 'x'.repeat(20_001), [], {}],
      diagnoses: [null, {}, 'x', HUGE, Array(51).fill({ code: 'E11.9', description: 'd' }), [{ code: 'E11.9' }], [{ code: 'E11.9', description: 'd', extra: 1 }],
        ...code.map((c) => [{ code: c, description: 'd' }]), ...freeText(500).map((d) => [{ code: 'E11.9', description: d }])],
      prescriptions: [null, {}, 'x', Array(51).fill(rxItem()),
        ...id.map((m) => [{ ...rxItem(), medicationId: m }]),
        ...freeText(200).map((d) => [{ ...rxItem(), dosage: d }]),
        ...day.map((d) => [{ ...rxItem(), startDate: d }]),
        [{ ...rxItem(), endDate: '2025-12-31' }],
        [{ ...rxItem(), unknown: true }]],
    },
    required: ['diagnoses', 'prescriptions'],
  },
  {
    name: 'prescriptions', who: 'clinician', method: 'GET', path: '/api/patients/:id/prescriptions', id: () => w.patientA, query: () => ({}),
    params: { active: ['yes', '1', 'TRUE', '', ...SQL] },
  },
  { name: 'medications', who: 'clinician', method: 'GET', path: '/api/medications', query: () => ({}) },
  { name: 'no-show-rate', who: 'manager', method: 'GET', path: '/api/analytics/no-show-rate', query: () => ({}), params: { from: monthBad, to: monthBad } },
  { name: 'volume', who: 'manager', method: 'GET', path: '/api/analytics/volume', query: () => ({ from: '2026-05', to: '2026-06' }), params: { from: monthBad, to: [...monthBad, '2026-04'] } },
  {
    name: 'audit', who: 'compliance', method: 'GET', path: '/api/audit', query: () => ({}),
    params: {
      patientId: idQueryBad, actorUserId: idQueryBad, action: ['drop', ...SQL], table: ['Patients', 'x'.repeat(64), ...SQL, ...SCRIPT],
      severity: ['critical', ...SQL], from: instantBad.filter((v): v is string => typeof v === 'string'), before: ['0', '-5', 'abc', ...SQL], limit: [...limitBad, '501'],
    },
  },
  {
    name: 'erase', who: 'compliance', method: 'POST', path: '/api/patients/:id/erase', id: () => 2_000_000_000,
    body: () => ({ reason: 'Erasure request ticket 99' }),
    fields: { reason: freeText(1000) },
    required: ['reason'],
  },
];

interface Attempt {
  label: string;
  run: (c: ApiClient) => Promise<ApiResponse>;
}

function attemptsFor(e: Endpoint): Attempt[] {
  const list: Attempt[] = [];
  const path = (idPart?: string) => e.path.replace(':id', idPart ?? String(e.id?.() ?? ''));
  const qs = (q: Record<string, string | string[]>) => {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) for (const x of [v].flat()) p.append(k, x);
    const s = p.toString();
    return s ? `?${s}` : '';
  };
  const send = (c: ApiClient, p: string, body?: unknown, raw?: string, headers?: Record<string, string>) =>
    c.request(e.method, p, body, { raw, headers });

  if (e.path.includes(':id')) {
    for (const bad of pathIdBad) {
      list.push({ label: `path id ${bad.slice(0, 30)}`, run: (c) => send(c, path(bad) + qs(e.query?.() ?? {}), e.body?.()) });
    }
  }
  if (e.method === 'GET') {
    list.push({ label: 'unknown query parameter', run: (c) => send(c, path() + qs({ ...e.query?.(), sneaky: '1' })) });
    for (const [param, values] of Object.entries(e.params ?? {})) {
      for (const v of values) list.push({ label: `${param}=${String(v).slice(0, 30)}`, run: (c) => send(c, path() + qs({ ...e.query?.(), [param]: v })) });
      list.push({ label: `${param} repeated`, run: (c) => send(c, path() + qs({ ...e.query?.(), [param]: ['1', '2'] })) });
    }
    return list;
  }
  const p = path();
  for (const raw of ['{', '{"a":1,}', "{'a':1}", 'null', '"text"', '123', 'NaN', '{"a":1}{"b":2}', '\u0000']) {
    list.push({ label: `malformed JSON ${JSON.stringify(raw)}`, run: (c) => send(c, p, undefined, raw) });
  }
  list.push({ label: 'text/plain body', run: (c) => send(c, p, undefined, 'hello', { 'content-type': 'text/plain' }) });
  list.push({ label: 'form body', run: (c) => send(c, p, undefined, 'a=1', { 'content-type': 'application/x-www-form-urlencoded' }) });
  list.push({ label: 'body over 100 kB', run: (c) => send(c, p, { ...e.body?.(), pad: 'x'.repeat(120_000) }) });
  list.push({ label: 'array body', run: (c) => send(c, p, [e.body?.() ?? {}]) });
  list.push({ label: 'extra field', run: (c) => send(c, p, { ...e.body?.(), extra: 'field' }) });
  list.push({ label: '__proto__ field', run: (c) => send(c, p, undefined, JSON.stringify(e.body?.() ?? {}).replace(/^\{/, '{"__proto__":{"role":"manager"},').replace(',}', '}')) });
  if (e.noBody) return list;
  list.push({ label: 'empty object', run: (c) => send(c, p, {}) });
  for (const field of e.required ?? []) {
    list.push({ label: `missing ${field}`, run: (c) => { const b = e.body!(); delete b[field]; return send(c, p, b); } });
  }
  for (const [field, values] of Object.entries(e.fields ?? {})) {
    for (const v of values) {
      list.push({ label: `${field}=${JSON.stringify(v)?.slice(0, 40)}`, run: (c) => send(c, p, { ...e.body!(), [field]: v }) });
    }
  }
  return list;
}

it('answers every broken or hostile request with a 4xx in the error shape, never a 5xx, and changes nothing', async () => {
  completedAppt = await insertAppointment(ts.db.knex, { patientId: w.freePatient, providerId: w.providerA, scheduledAt: '2026-01-06T15:00:00Z', status: 'checked_in' });
  await ts.db.knex.raw('INSERT INTO visits (appointment_id, patient_id) VALUES (?, ?)', [completedAppt, w.freePatient]);
  await ts.db.knex.raw("UPDATE appointments SET status = 'completed' WHERE appointment_id = ?", [completedAppt]);
  scheduledAppt = await insertAppointment(ts.db.knex, { patientId: w.patientA, providerId: w.providerA, scheduledAt: at('08:00') });

  const before = await snapshot(ts.db.knex);
  const failures: string[] = [];
  let total = 0;
  for (const e of endpoints()) {
    const client = w.as[e.who];
    const attempts = attemptsFor(e);
    // A few at a time: enough to be quick, few enough not to starve the shared machine.
    for (let i = 0; i < attempts.length; i += 8) {
      await Promise.all(
        attempts.slice(i, i + 8).map(async (a) => {
          total++;
          const res = await a.run(client);
          const shaped = res.body && typeof res.body.error?.code === 'string' && typeof res.body.error?.message === 'string';
          if (res.status < 400 || res.status >= 500 || !shaped) failures.push(`${e.name} ${a.label}: ${res.status} ${res.text.slice(0, 160)}`);
        }),
      );
    }
  }
  expect(failures).toEqual([]);
  expect(total).toBeGreaterThan(500);
  expect(await snapshot(ts.db.knex)).toEqual(before);
  // The sessions used survive it all.
  expect((await w.as.front_desk.get('/api/me')).status).toBe(200);
});

it('stores SQL and script text in free-text fields as data, verbatim, without executing it', async () => {
  const appt = await insertAppointment(ts.db.knex, { patientId: w.patientA, providerId: w.providerA, scheduledAt: at('05:00'), status: 'checked_in' });
  const payload = "'); DROP TABLE prescriptions; -- <script>alert(1)</script>";
  const res = await w.as.clinician.post(`/api/appointments/${appt}/complete`, {
    diagnoses: [{ code: 'E11.9', description: payload }],
    prescriptions: [{ medicationId: w.medicationId, dosage: payload, startDate: '2026-01-01' }],
  });
  expect(res.status).toBe(201);
  const rx = await w.as.clinician.get(`/api/patients/${w.patientA}/prescriptions?active=false`);
  expect(rx.body.items.map((p: { dosage: string }) => p.dosage)).toContain(payload);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
});
