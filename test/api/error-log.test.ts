/**
 * A 500 is logged with its cause, but never with the data a database error can carry:
 * PostgreSQL's DETAIL (`Key (email)=(…)`), its WHERE context, or the query's bound
 * parameters (which knex would otherwise splice into the error message).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';

const lines: string[] = [];
let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer({ logStream: { write: (l) => void lines.push(l) } });
  // A database failure the API does not map (XX000 internal_error) whose DETAIL, like a
  // unique violation's, names the patient's email address.
  await ts.db.knex.raw(`
    CREATE FUNCTION test_fail_patient_insert() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'forced failure' USING ERRCODE = 'XX000', DETAIL = 'Key (email)=(' || NEW.email || ') is forced to fail.';
    END $$;
    CREATE TRIGGER test_fail_patient_insert BEFORE INSERT ON patients FOR EACH ROW EXECUTE FUNCTION test_fail_patient_insert();
  `);
});
afterAll(async () => ts.close());

it('a forced database error with a patient email in its detail logs the error id and code, but no email, detail or parameter', async () => {
  const desk = await ts.login(await ts.createUser('front_desk'));
  const res = await desk.post('/api/patients', { name: 'Leaky Canarysurname', dob: '1980-01-01', email: 'leak.canary@example.org', phone: '+1 555 867 5309' });
  expect(res.status).toBe(500);
  const errorId = res.body.error.errorId as string;
  const entry = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.errorId === errorId);
  expect(entry, 'the 500 is logged with its error id').toBeDefined();
  const err = entry!.err as Record<string, unknown>;
  expect(err.code).toBe('XX000');
  expect(String(err.message)).toContain('forced failure');
  const log = lines.join('');
  for (const secret of ['leak.canary', 'Canarysurname', '867 5309', 'Key (email)']) expect(log, secret).not.toContain(secret);
  expect(err).not.toHaveProperty('detail');
  expect(err).not.toHaveProperty('where');
});
