/**
 * Charges: the database opens exactly one pending charge per completed visit (whichever
 * comes last, the visit or the completion, and for bulk statements too), billing can only
 * move it along legal transitions, and every write to a charge is audited.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './support/db.js';
import { createPatient, createProvider, insertAppointment, pgError } from './support/clinic.js';
import { createStaff, type StaffFixture } from './support/staff.js';
import { asStaff } from '../server/db/index.js';

let db: TestDatabase;
let providerId: number;
let billing: StaffFixture;
let slot = 0;

beforeAll(async () => {
  db = await createTestDatabase();
  providerId = await createProvider(db.knex);
  billing = await createStaff(db.knex, 'billing');
});
afterAll(async () => db?.drop());

/** A past appointment of a fresh patient, in the given status; distinct hours so nothing overlaps. */
async function arrived(status: 'checked_in' | 'completed' = 'checked_in'): Promise<{ patientId: number; appointmentId: number }> {
  const patientId = await createPatient(db.knex);
  const at = new Date(Date.parse('2026-03-02T14:00:00Z') + ++slot * 3_600_000).toISOString();
  return { patientId, appointmentId: await insertAppointment(db.knex, { patientId, providerId, scheduledAt: at, status }) };
}
const chargesFor = async (visitIds: number[]) =>
  (await db.knex.raw('SELECT visit_id, status, amount_cents, service_date FROM charges WHERE visit_id = ANY (?) ORDER BY visit_id', [visitIds])).rows;
const visit = async (a: { patientId: number; appointmentId: number }) =>
  (await db.knex.raw('INSERT INTO visits (appointment_id, patient_id) VALUES (?, ?) RETURNING visit_id', [a.appointmentId, a.patientId])).rows[0]
    .visit_id as number;

describe('one charge per completed visit', () => {
  it('opens when the appointment is completed after the visit', async () => {
    const a = await arrived();
    const v = await visit(a);
    expect(await chargesFor([v])).toEqual([]);
    await db.knex.raw("UPDATE appointments SET status = 'completed' WHERE appointment_id = ?", [a.appointmentId]);
    expect(await chargesFor([v])).toEqual([{ visit_id: v, status: 'pending', amount_cents: null, service_date: '2026-03-02' }]);
  });

  it('opens when the visit is recorded after the completion, and only once', async () => {
    const a = await arrived('completed');
    const v = await visit(a);
    await db.knex.raw("UPDATE appointments SET duration_min = duration_min WHERE appointment_id = ?", [a.appointmentId]);
    expect((await chargesFor([v])).map((c: { status: string }) => c.status)).toEqual(['pending']);
  });

  it('opens one per visit for a multi-row statement', async () => {
    const as = [await arrived('completed'), await arrived('completed'), await arrived('completed')];
    const { rows } = await db.knex.raw(
      `INSERT INTO visits (appointment_id, patient_id) SELECT * FROM unnest(?::int[], ?::int[]) RETURNING visit_id`,
      [as.map((a) => a.appointmentId), as.map((a) => a.patientId)],
    );
    expect(await chargesFor(rows.map((r: { visit_id: number }) => r.visit_id))).toHaveLength(3);
  });

  it('is not opened for a visit whose appointment is not completed', async () => {
    const v = await visit(await arrived());
    expect(await chargesFor([v])).toEqual([]);
  });
});

describe('billing works a charge', () => {
  async function pendingCharge(): Promise<number> {
    const a = await arrived('completed');
    const v = await visit(a);
    return (await db.knex.raw('SELECT charge_id FROM charges WHERE visit_id = ?', [v])).rows[0].charge_id;
  }
  const update = (chargeId: number, patch: Record<string, unknown>) =>
    asStaff(db.appKnex, { userId: billing.userId, role: 'billing' }, (trx) => trx('charges').update(patch).where('charge_id', chargeId));

  it('prices, submits and settles, with every write audited under the billing user', async () => {
    const id = await pendingCharge();
    expect(await update(id, { amount_cents: 9_900, payer: 'Acme Health' })).toBe(1);
    expect(await update(id, { status: 'submitted' })).toBe(1);
    expect(await update(id, { status: 'paid' })).toBe(1);
    const audit = (await db.knex.raw(
      "SELECT action, actor_user_id, changed_columns FROM audit_log WHERE table_name = 'charges' AND row_key = ? ORDER BY audit_id",
      [String(id)],
    )).rows;
    expect(audit.map((r: { action: string }) => r.action)).toEqual(['insert', 'update', 'update', 'update']);
    expect(audit.slice(1).every((r: { actor_user_id: number }) => r.actor_user_id === billing.userId)).toBe(true);
    expect(audit[1].changed_columns).toEqual(['amount_cents', 'payer', 'updated_at']);
  });

  it('cannot submit an unpriced charge, skip a step, or change a paid one', async () => {
    const id = await pendingCharge();
    expect(await pgError(update(id, { status: 'submitted' }))).toMatchObject({ code: '23514', constraint: 'charges_priced_before_submission' });
    expect(await pgError(update(id, { status: 'paid', amount_cents: 100, payer: 'X' }))).toMatchObject({ code: '23514', constraint: 'charges_status_transition' });
    expect(await pgError(update(id, { amount_cents: 0 }))).toMatchObject({ code: '23514', constraint: 'charges_amount_positive' });
    await update(id, { amount_cents: 100, payer: 'X', status: 'submitted' });
    await update(id, { status: 'paid' });
    expect(await pgError(update(id, { amount_cents: 50 }))).toMatchObject({ code: '23514', constraint: 'charges_settled_fixed' });
    expect(await pgError(update(id, { status: 'void' }))).toMatchObject({ code: '23514', constraint: 'charges_status_transition' });
    const row = (await db.knex.raw('SELECT status, amount_cents FROM charges WHERE charge_id = ?', [id])).rows[0];
    expect(row).toEqual({ status: 'paid', amount_cents: 100 });
  });
});
