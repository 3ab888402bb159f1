/**
 * A NUL character (U+0000) cannot be stored in a PostgreSQL text value (SQLSTATE 22021).
 * Anywhere a client can put one (query string, JSON body, sign-in), the answer is a 400
 * invalid_request naming the field, never a 500; and a 22021 that still reaches the
 * database is a client error too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, TEST_PASSWORD, type TestServer } from '../support/server.js';
import { buildWorld, snapshot, type World } from '../support/api-world.js';
import { knownError } from '../../server/http/errors.js';

let ts: TestServer;
let w: World;
beforeAll(async () => {
  ts = await startTestServer();
  w = await buildWorld(ts);
});
afterAll(async () => ts.close());

const firstPath = (body: { error: { details?: { issues?: { path: string }[] } } }) => body.error.details?.issues?.[0]?.path;

describe('a NUL byte in input', () => {
  it('in a search query answers 400 naming query.q', async () => {
    const res = await w.as.front_desk.get('/api/patients?q=a%00b');
    expect(res.status, res.text).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect(firstPath(res.body)).toBe('query.q');
  });

  it('in a sign-in username or password answers 400 naming the field', async () => {
    const bad = await ts.client().post('/api/login', { username: `${w.users.front_desk.username}\u0000`, password: TEST_PASSWORD });
    expect(bad.status, bad.text).toBe(400);
    expect(firstPath(bad.body)).toBe('body.username');
    const pw = await ts.client().post('/api/login', { username: w.users.front_desk.username, password: 'a\u0000b-long-enough' });
    expect(pw.status, pw.text).toBe(400);
    expect(firstPath(pw.body)).toBe('body.password');
  });

  it('in a JSON body field answers 400 naming that field and writes nothing', async () => {
    const before = await snapshot(ts.db.knex);
    const res = await w.as.front_desk.post('/api/patients', { name: 'Nul Person', dob: '1980-01-01', email: 'nul\u0000@example.org' });
    expect(res.status, res.text).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect(firstPath(res.body)).toBe('body.email');
    const erase = await w.as.compliance.post(`/api/patients/${w.freePatient}/erase`, { reason: 'nul \u0000 reason' });
    expect(erase.status, erase.text).toBe(400);
    expect(firstPath(erase.body)).toBe('body.reason');
    expect(await snapshot(ts.db.knex)).toEqual(before);
  });

  it('rejected by the database itself (SQLSTATE 22021) is a 400, not a 500', async () => {
    const err = await ts.db.knex.raw("SELECT convert_from('\\x610062'::bytea, 'UTF8')").then(() => undefined, (e: unknown) => e);
    expect((err as { code?: string }).code).toBe('22021');
    expect(knownError(err)).toMatchObject({ status: 400, code: 'invalid_request' });
  });
});
