/**
 * GET /api/icd10 answers from the code list held in memory (server/medications/icd10-index.ts)
 * instead of a LIKE per keystroke. These tests hold it to the SQL it replaced (same answers,
 * same order, for code prefixes, words, punctuation and LIKE metacharacters), show a change to
 * the list reaching searches, and that the session is still checked on every search.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asStaff } from '../server/db/index.js';
import { icd10CodeList, searchIcd10 } from '../server/db/repository/reference.js';
import { Icd10Index } from '../server/medications/icd10-index.js';
import { startTestServer, type TestServer } from './support/server.js';
import type { StaffFixture } from './support/staff.js';

let ts: TestServer;
let clinician: StaffFixture;
beforeAll(async () => {
  ts = await startTestServer();
  clinician = await ts.createUser('clinician');
});
afterAll(async () => ts.close());

const asClinician = <T>(work: Parameters<typeof asStaff<T>>[2]) => asStaff(ts.db.appKnex, { userId: clinician.userId, role: 'clinician' }, work);

const QUERIES = [
  'e', 'E', 'e1', 'e11', 'e11.', 'E11.9', 'e119', 'i10', 'I10.', 'z00.0', 'z000', 'm54', 'm54.5', 'j', 'j0', 'ty', 'type 2', 'Type  2   DIAB',
  'diab', 'diab hyperglyc', 'hypert', 'ension', 'pain', 'pain right', 'right pain', 'acute', 'unspec', 'migr', 'otitis', 'anx', 'xyz',
  '%', '_', '\\', "o'", '.', '..', '-', 'e-11', 'e11 type', '2', '9', 'with', 'w', 'a b', 'café', 'ß', 'ı', '  pain  ',
];

describe('the in-memory index', () => {
  it('gives the same codes in the same order as the SQL search, for every query and limit', async () => {
    const index = new Icd10Index();
    index.load(await asClinician((trx) => icd10CodeList(trx)));
    expect(index.size).toBeGreaterThan(50);
    for (const limit of [1, 2, 5, 20, 50]) {
      const sql = await asClinician(async (trx) => Promise.all(QUERIES.map((q) => searchIcd10(trx, q, limit))));
      QUERIES.forEach((q, i) => expect(index.match(q, limit), `${JSON.stringify(q)} limit ${limit}`).toEqual(sql[i]));
    }
  });

  it('serves a stale list at once and reloads it in the background; invalidate() makes the next search reload first', async () => {
    let now = 0;
    const index = new Icd10Index({ maxAgeMs: 1000, now: () => now });
    let list = [{ code: 'A00.0', description: 'Cholera due to Vibrio cholerae 01, biovar cholerae', searchText: ' a000 cholera due to vibrio cholerae 01 biovar cholerae ' }];
    let reads = 0;
    const read = async () => (reads++, list);
    expect((await index.search('cholera', 20, read)).map((c) => c.code)).toEqual(['A00.0']);
    expect(reads).toBe(1);
    list = [{ code: 'A01.0', description: 'Typhoid fever', searchText: ' a010 typhoid fever ' }];
    now = 999;
    expect((await index.search('a0', 20, read)).map((c) => c.code)).toEqual(['A00.0']);
    expect(reads).toBe(1);
    now = 1000;
    expect((await index.search('a0', 20, read)).map((c) => c.code)).toEqual(['A00.0']);
    await new Promise((resolve) => setImmediate(resolve));
    expect(reads).toBe(2);
    expect((await index.search('a0', 20, read)).map((c) => c.code)).toEqual(['A01.0']);
    list = [];
    index.invalidate();
    expect(await index.search('a0', 20, read)).toEqual([]);
    expect(reads).toBe(3);
  });
});

describe('GET /api/icd10 from memory', () => {
  it('finds a code added to the list once the index is invalidated, as the clinician reads it', async () => {
    const c = await ts.login(clinician);
    expect((await c.get('/api/icd10?q=T75.3')).body.items).toEqual([]);
    await ts.db.knex.raw("INSERT INTO icd10_codes (code, description) VALUES ('T75.3', 'Motion sickness')");
    try {
      ts.clinic.icd10.invalidate();
      expect((await c.get('/api/icd10?q=motion%20sick')).body.items).toEqual([{ code: 'T75.3', description: 'Motion sickness' }]);
    } finally {
      await ts.db.knex.raw("DELETE FROM icd10_codes WHERE code = 'T75.3'");
      ts.clinic.icd10.invalidate();
    }
  });

  it('still checks the session on every search: a deactivated clinician is refused at the next keystroke', async () => {
    const user = await ts.createUser('clinician');
    const c = await ts.login(user);
    expect((await c.get('/api/icd10?q=e11')).status).toBe(200);
    await ts.db.knex.raw('UPDATE staff_users SET active = false, deactivated_at = now() WHERE user_id = ?', [user.userId]);
    const res = await c.get('/api/icd10?q=e11.9');
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('unauthenticated');
  });
});
