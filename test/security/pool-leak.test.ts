/**
 * Pool leakage: identities are transaction-local, so a pooled connection never carries
 * one staff member's role or user id into another's work. Two hundred interleaved
 * transactions as different users share three connections, some failing midway (an SQL
 * error, a refused statement, an exception thrown by the caller); every statement sees
 * exactly its own identity, and every connection taken afterwards sees none.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Knex } from 'knex';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createKnex } from '../../server/db/knex.js';
import { asStaff, type StaffIdentity } from '../../server/db/index.js';
import { createStaff, type StaffFixture } from '../support/staff.js';
import { buildWorld, sqlState, type World } from './world.js';

let db: TestDatabase;
let world: World;
let pool: Knex;
let staff: StaffFixture[];

beforeAll(async () => {
  db = await createTestDatabase();
  world = await buildWorld(db.knex);
  staff = [
    world.frontDesk,
    world.clinicianA,
    world.clinicianB,
    world.billing,
    world.manager,
    world.compliance,
    await createStaff(db.knex, 'front_desk'),
    await createStaff(db.knex, 'clinician', { providerId: world.providerB }),
  ];
  pool = createKnex(db.appUrl, { poolMax: 3 });
});
afterAll(async () => {
  await pool?.destroy();
  await db?.drop();
});

interface Seen {
  uid: number | null;
  role: string;
  setting: string | null;
}
const whoAmI = async (trx: Knex): Promise<Seen> =>
  (await trx.raw("SELECT current_staff_user_id() AS uid, current_user::text AS role, current_setting('app.user_id', true) AS setting")).rows[0];

class Abandon extends Error {}

describe('a small pool under interleaved identities', () => {
  it('gives every statement its own identity, even around failures', async () => {
    const wrong: string[] = [];
    const outcomes = { committed: 0, sqlError: 0, thrown: 0 };
    const n = 200;
    await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const me = staff[i % staff.length]!;
        const identity: StaffIdentity = { userId: me.userId, role: me.role };
        const check = (s: Seen, step: string) => {
          if (s.uid !== me.userId || s.role !== me.role || s.setting !== String(me.userId)) {
            wrong.push(`tx ${i} ${step}: expected ${me.role}/${me.userId}, saw ${s.role}/${s.uid}/${s.setting}`);
          }
        };
        try {
          await asStaff(
            pool,
            identity,
            async (trx) => {
              check(await whoAmI(trx), 'first statement');
              // Yield so other transactions queue and interleave with this one.
              await new Promise((r) => setImmediate(r));
              check(await whoAmI(trx), 'after yielding');
              if (i % 5 === 1) await trx.raw('SELECT 1 / 0'); // an SQL error midway
              if (i % 5 === 2) await trx.raw('SELECT password_hash FROM staff_users'); // refused: 42501
              if (i % 5 === 3) throw new Abandon(`caller gives up in tx ${i}`);
              // A refusal caught inside a savepoint leaves the identity in place.
              if (i % 5 === 4) await sqlState(() => trx.transaction((sp) => sp.raw('SELECT email FROM patients LIMIT 1')).then(() => undefined));
              check(await whoAmI(trx), 'last statement');
            },
            { attempts: 1 },
          );
          outcomes.committed++;
        } catch (err) {
          if (err instanceof Abandon) outcomes.thrown++;
          else if (typeof (err as { code?: unknown }).code === 'string') outcomes.sqlError++;
          else throw err;
        }
      }),
    );
    expect(wrong).toEqual([]);
    expect(outcomes).toEqual({ committed: 80, sqlError: 80, thrown: 40 });
  });

  it('leaves every connection with no identity, no role and no rows afterwards', async () => {
    // Hold all three connections at once, so each of them is inspected.
    const held = await Promise.all(
      [0, 1, 2].map(() =>
        pool.transaction(async (trx) => {
          const pid = (await trx.raw('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
          const plain = (await trx.raw("SELECT current_user::text AS role, coalesce(current_setting('app.user_id', true), '') AS setting")).rows[0];
          const identityFn = await sqlState(() => trx.transaction((sp) => whoAmI(sp)));
          const bare = await sqlState(() => trx.transaction((sp) => sp.raw('SELECT count(*) FROM public.patients')));
          // Even after becoming a staff role, without an identity nothing is visible.
          const rows = await trx.transaction(async (sp) => {
            await sp.raw('SET LOCAL ROLE front_desk');
            return {
              patients: (await sp.raw('SELECT count(*)::int AS n FROM patients')).rows[0].n,
              appointments: (await sp.raw('SELECT count(*)::int AS n FROM appointments')).rows[0].n,
            };
          });
          await new Promise((r) => setTimeout(r, 20)); // keep the connection until all three are out
          return { pid, plain, identityFn, bare, rows };
        }),
      ),
    );
    expect(new Set(held.map((h) => h.pid)).size).toBe(3);
    for (const h of held) {
      // No role, no user id; without USAGE on the schema the service login cannot even
      // resolve the identity function (42883), let alone a table (42501).
      expect(h.plain).toEqual({ role: 'clinicpulse_app', setting: '' });
      expect(h.identityFn).toBe('42883');
      expect(h.bare).toBe('42501');
      expect(h.rows).toEqual({ patients: 0, appointments: 0 });
    }
  });
});
