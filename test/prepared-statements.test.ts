/**
 * Named prepared statements (server/db/knex.ts, PREPARED) live as long as their connection.
 * When a migration changes what one returns (a column's type), PostgreSQL refuses that
 * connection's statement from then on; the connection must be retired, not kept failing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Knex } from 'knex';
import { createTestDatabase, type TestDatabase } from './support/db.js';
import { createKnex, PREPARED } from '../server/db/knex.js';

let db: TestDatabase;
let one: Knex;
beforeAll(async () => {
  db = await createTestDatabase();
  await db.knex.raw('CREATE TABLE prepared_probe (v integer)');
  await db.knex.raw('INSERT INTO prepared_probe VALUES (1), (2)');
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
});
