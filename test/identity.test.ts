import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './support/db.js';
import { createStaff, type StaffFixture } from './support/staff.js';
import { asService, asStaff } from '../server/db/index.js';
import { createKnex } from '../server/db/knex.js';

let db: TestDatabase;
let clinician: StaffFixture;
let desk: StaffFixture;
let providerId: number;

beforeAll(async () => {
  db = await createTestDatabase();
  const { rows } = await db.knex.raw("INSERT INTO providers (name, specialty) VALUES ('Dr A', 'Family medicine') RETURNING provider_id");
  providerId = rows[0].provider_id;
  clinician = await createStaff(db.knex, 'clinician', { providerId });
  desk = await createStaff(db.knex, 'front_desk');
});
afterAll(async () => db.drop());

const who = (trx: { raw: (sql: string) => Promise<{ rows: { uid: number | null; pid: number | null; role: string }[] }> }) =>
  trx.raw('SELECT current_staff_user_id() AS uid, current_staff_provider_id() AS pid, current_user AS role').then((r) => r.rows[0]!);

describe('the acting identity', () => {
  it('resolves an active user acting in their own role, with their provider', async () => {
    const me = await asStaff(db.appKnex, { userId: clinician.userId, role: 'clinician' }, who);
    expect(me).toEqual({ uid: clinician.userId, pid: providerId, role: 'clinician' });
  });

  it('resolves to no one when the user id is forged for another role', async () => {
    const me = await asStaff(db.appKnex, { userId: desk.userId, role: 'clinician' }, who);
    expect(me.uid).toBeNull();
    expect(me.pid).toBeNull();
  });

  it('resolves to no one for a deactivated user', async () => {
    const gone = await createStaff(db.knex, 'front_desk');
    await db.knex.raw('UPDATE staff_users SET active = false, deactivated_at = now() WHERE user_id = ?', [gone.userId]);
    const me = await asStaff(db.appKnex, { userId: gone.userId, role: 'front_desk' }, who);
    expect(me.uid).toBeNull();
  });

  it('resolves to no one with a missing or garbage setting', async () => {
    const rows = await db.appKnex.transaction(async (trx) => {
      await trx.raw('SET LOCAL ROLE front_desk');
      const none = (await who(trx)).uid;
      await trx.raw("SELECT set_config('app.user_id', 'abc; DROP TABLE x', true)");
      const garbage = (await who(trx)).uid;
      return [none, garbage];
    });
    expect(rows).toEqual([null, null]);
  });

  it('is checked inside each policy without a function call of its own (the planner inlines it)', async () => {
    // Every policy asks (SELECT current_staff_user_id()). As a PL/pgSQL function with a SET
    // clause it cost 33 µs a call and ran once per table a query touched; inlined, the
    // policy calls the one owner-rights lookup directly (bench section 20 times the two).
    const plan = await asStaff(db.appKnex, { userId: desk.userId, role: 'front_desk' }, async (trx) =>
      (await trx.raw('EXPLAIN (VERBOSE, COSTS OFF) SELECT appointment_id FROM appointments')).rows.map((r: { 'QUERY PLAN': string }) => r['QUERY PLAN']).join('\n'),
    );
    expect(plan).toContain('staff_identity_user_id(app_user_id_setting(), (CURRENT_USER)::text)');
    expect(plan).not.toContain('current_staff_user_id()');
  });

  it("gives the clinic's time zone to a staff role without an identity, and nothing of clinic_settings itself", async () => {
    // The zone is configuration: clinic_time_zone() answers with the owner's rights, so it no
    // longer runs the identity check on each of its (many) calls. The table stays closed.
    const seen = await db.appKnex.transaction(async (trx) => {
      await trx.raw('SET LOCAL ROLE front_desk');
      const zone = (await trx.raw('SELECT clinic_time_zone() AS z')).rows[0].z as string | null;
      const settings = (await trx.raw('SELECT count(*)::int AS n FROM clinic_settings')).rows[0].n as number;
      return { zone, settings };
    });
    const { rows } = await db.knex.raw('SELECT time_zone FROM clinic_settings');
    expect(seen).toEqual({ zone: rows[0].time_zone, settings: 0 });
  });

  it('leaves the pooled connection with no identity after the transaction', async () => {
    await asStaff(db.appKnex, { userId: desk.userId, role: 'front_desk' }, who);
    const after = await db.appKnex.raw("SELECT current_user AS role, current_setting('app.user_id', true) AS uid");
    expect(after.rows[0].role).toBe('clinicpulse_app');
    expect(after.rows[0].uid ?? '').toBe('');
  });

  it('hands the connection back clean when the identity sent with BEGIN is refused', async () => {
    // The identity travels in BEGIN's own message: a refusal there must not leave the
    // pooled connection inside an aborted transaction (one connection, so the next
    // transaction gets the very same one).
    const single = createKnex(db.appUrl, { poolMax: 1 });
    try {
      await expect(asService(single, 'no_such_role', async () => 'ran')).rejects.toThrow(/no_such_role/);
      const me = await asStaff(single, { userId: desk.userId, role: 'front_desk' }, who);
      expect(me).toEqual({ uid: desk.userId, pid: null, role: 'front_desk' });
      const after = await single.raw("SELECT current_user AS role, current_setting('app.user_id', true) AS uid, pg_catalog.txid_current_if_assigned() AS tx");
      expect(after.rows[0]).toEqual({ role: 'clinicpulse_app', uid: '', tx: null });
    } finally {
      await single.destroy();
    }
  });
});
