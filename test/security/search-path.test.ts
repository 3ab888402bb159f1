/**
 * Temporary objects cannot shadow the schema inside the owner's code (issue 9, item 7).
 *
 * The attack: TEMP on the database (granted to PUBLIC by default; a restore can bring it
 * back) lets a clinician create a temporary staff_users that says they work for another
 * provider. With pg_temp missing from a definer function's search_path it is searched
 * first, so staff_identity() read the fake row and row-level security opened the other
 * provider's patients and clinical history. With search_path = pg_catalog, public, pg_temp
 * the real table is found first and the fake one is never read.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { asStaff } from '../../server/db/index.js';
import { as, buildWorld, type World } from './world.js';

let db: TestDatabase;
let world: World;

beforeAll(async () => {
  db = await createTestDatabase();
  world = await buildWorld(db.knex);
  // The precondition the attack needs; the catalog lint checks it is absent in a real migration.
  await db.knex.raw(`GRANT TEMP ON DATABASE ${db.name} TO clinician`);
});
afterAll(async () => db?.drop());

describe('a temporary staff_users cannot impersonate another provider', () => {
  it("clinician A with a temp staff_users naming provider B still sees none of B's patient or history", async () => {
    const out = await asStaff(db.appKnex, as(world.clinicianA), async (trx) => {
      await trx.raw(`CREATE TEMP TABLE staff_users (user_id integer, provider_id integer, active boolean, role text)
                     ON COMMIT DROP`);
      await trx.raw("INSERT INTO pg_temp.staff_users VALUES (?, ?, true, 'clinician')", [world.clinicianA.userId, world.providerB]);
      // The definer functions run as the owner: let it read the fake table.
      await trx.raw('GRANT SELECT ON pg_temp.staff_users TO PUBLIC');
      const provider = (await trx.raw('SELECT current_staff_provider_id() AS p')).rows[0].p;
      const patients = (await trx.raw('SELECT patient_id FROM public.patients WHERE patient_id = ?', [world.patientB.patientId])).rows;
      const visits = (await trx.raw('SELECT * FROM public.patient_visits(?)', [world.patientB.patientId])).rows;
      const own = (await trx.raw('SELECT patient_id FROM public.patients WHERE patient_id = ?', [world.patientA.patientId])).rows;
      return { provider, patients, visits, own };
    });
    expect(out.provider).toBe(world.providerA);
    expect(out.patients).toEqual([]);
    expect(out.visits).toEqual([]);
    expect(out.own).toEqual([{ patient_id: world.patientA.patientId }]);
  });
});
