/**
 * Read-only work of a route runs in the request's own transaction, made read-only after the
 * session statement (one round trip instead of a commit and a second transaction): a write
 * attempted there is refused by PostgreSQL, while what the session statement wrote before it
 * (the idle deadline) still commits. The route wrapper is driven directly, with a session
 * transaction opened the way Sessions.begin opens it (a write, then the staff identity).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createStaff, type StaffFixture } from '../support/staff.js';
import { JsonText, mountRoutes, route } from '../../server/http/route.js';
import type { Transaction } from '../../server/db/index.js';
import { FieldCrypto } from '../../server/crypto/index.js';
import { Icd10Index } from '../../server/medications/icd10-index.js';
import { TEST_MASTER_KEY } from '../support/server.js';

let db: TestDatabase;
let desk: StaffFixture;
let server: http.Server;
let origin: string;

beforeAll(async () => {
  db = await createTestDatabase();
  desk = await createStaff(db.knex, 'front_desk');
  await db.knex.raw('CREATE TABLE test_session_marks (n integer)');
  await db.knex.raw('GRANT INSERT, SELECT ON test_session_marks TO front_desk, clinicpulse_app');
  const app = express();
  const router = express.Router();
  mountRoutes(
    router,
    [
      route({
        method: 'get',
        path: '/t/read',
        tag: 'Test',
        summary: 'read-only work',
        roles: ['front_desk'],
        handler: async ({ db: staff }) =>
          new JsonText(await staff(async (trx) => ((await trx.raw("SELECT json_build_object('who', current_user)::text AS j")).rows[0] as { j: string }).j, { readOnly: true })),
      }),
      route({
        method: 'get',
        path: '/t/write',
        tag: 'Test',
        summary: 'a write attempted as read-only work',
        roles: ['front_desk'],
        handler: async ({ db: staff }) => staff((trx) => trx.raw('INSERT INTO test_session_marks VALUES (2)'), { readOnly: true }),
      }),
    ],
    {
      appKnex: db.appKnex,
      // As Sessions.begin: the session statement may write (its deadline), then the identity.
      beginSession: async () => {
        const trx: Transaction = await db.appKnex.transaction();
        await trx.raw('SET LOCAL ROLE front_desk');
        await trx.raw(`SELECT set_config('app.user_id', ?, true)`, [String(desk.userId)]);
        await trx.raw('INSERT INTO test_session_marks VALUES (1)');
        return { trx, user: { id: desk.userId, username: desk.username, role: 'front_desk', providerId: null } };
      },
      checkSession: () => Promise.resolve(undefined),
      crypto: new FieldCrypto(TEST_MASTER_KEY),
      icd10: new Icd10Index(),
    },
  );
  app.use(router);
  app.use((err: { code?: string }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(500).json({ code: err.code ?? 'unknown' });
  });
  server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server?.close(() => resolve()));
  await db?.drop();
});

const marks = async () => ((await db.knex.raw('SELECT n FROM test_session_marks ORDER BY n')).rows as { n: number }[]).map((r) => r.n);

describe('read-only work of a route', () => {
  it('runs as the staff member in the request transaction and sends a body PostgreSQL built as it is', async () => {
    const res = await fetch(`${origin}/t/read`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await res.json()).toEqual({ who: 'front_desk' });
    // The session statement's write committed with the request.
    expect(await marks()).toEqual([1]);
  });

  it('refuses a write (read-only transaction), and nothing it tried is kept', async () => {
    await db.knex.raw('DELETE FROM test_session_marks');
    const res = await fetch(`${origin}/t/write`);
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ code: '25006' });
    expect(await marks()).toEqual([]);
  });
});
