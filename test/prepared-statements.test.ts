/**
 * Named prepared statements (server/db/knex.ts, PREPARED) live as long as their connection.
 * When a migration changes what one returns (a column's type), or something deallocates it,
 * the connection refuses that statement from then on: the connection must be retired, not
 * kept failing, and a staff transaction that met it is retried on a fresh one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Knex } from 'knex';
import { createTestDatabase, type TestDatabase } from './support/db.js';
import { createKnex, PREPARED } from '../server/db/knex.js';
import { asStaff } from '../server/db/index.js';
import { preparedRows } from '../server/db/repository/index.js';
import { createStaff } from './support/staff.js';

let db: TestDatabase;
let one: Knex;
beforeAll(async () => {
  db = await createTestDatabase();
  await db.knex.raw('CREATE TABLE prepared_probe (v integer)');
  await db.knex.raw('INSERT INTO prepared_probe VALUES (1), (2)');
  await db.knex.raw('GRANT SELECT ON prepared_probe TO front_desk');
  one = createKnex(db.url, { poolMax: 1 });
});
afterAll(async () => {
  await one.destroy();
  await db.drop();
});

const probe = async () => {
  const result: { rows: { v: number }[] } = await one.raw('SELECT v FROM prepared_probe WHERE v > ? ORDER BY v', [0]).options({ [PREPARED]: true });
  return result.rows.map((r) => Number(r.v));
};

describe('a prepared statement whose result type a migration changed', () => {
  it('fails once on its connection, which is then replaced, and the next call answers', async () => {
    expect(await probe()).toEqual([1, 2]);
    expect(await probe()).toEqual([1, 2]);
    await db.knex.raw('ALTER TABLE prepared_probe ALTER COLUMN v TYPE bigint');
    await expect(probe()).rejects.toMatchObject({ code: '0A000' });
    expect(await probe()).toEqual([1, 2]);
    expect(await probe()).toEqual([1, 2]);
  });

  it('fails once when something deallocated it, and the connection is replaced', async () => {
    expect(await probe()).toEqual([1, 2]);
    await one.raw('DEALLOCATE ALL');
    await expect(probe()).rejects.toMatchObject({ code: '26000' });
    expect(await probe()).toEqual([1, 2]);
  });

  it("retries a staff transaction that met it, so the person's read still answers", async () => {
    const desk = await createStaff(db.knex, 'front_desk');
    const read = () =>
      asStaff(one, { userId: desk.userId, role: 'front_desk' }, async (trx) =>
        (await preparedRows<{ v: number }>(trx.raw('SELECT v FROM prepared_probe WHERE v > ? ORDER BY v', [0]))).map((r) => Number(r.v)),
      );
    expect(await read()).toEqual([1, 2]);
    expect(await read()).toEqual([1, 2]);
    await db.knex.raw('ALTER TABLE prepared_probe ALTER COLUMN v TYPE numeric');
    expect(await read()).toEqual([1, 2]);
  });
});
