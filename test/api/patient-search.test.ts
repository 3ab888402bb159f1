/**
 * Index-backed patient search (issue 14, item 3): the front desk's GET /api/patients?q=
 * now takes its candidates from an index (patient_name_suffixes) through patient_name_candidates and reads
 * them through the policy. Same answers as the LIKE it replaces (prefix of the name or of
 * any later word, case-insensitive, metacharacters literal, by name, paged), and the
 * owner-rights function gives nothing to anyone but a signed-in front desk.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer, type ApiClient } from '../support/server.js';
import { createPatient } from '../support/clinic.js';
import { asStaff } from '../../server/db/index.js';
import { erasePatient } from '../../server/db/repository/erasure.js';
import { sqlState } from '../security/world.js';

let ts: TestServer;
let desk: ApiClient;
let deskId: number;
const tag = `Qz${Date.now().toString(36).replace(/[0-9]/g, 'k')}`;
beforeAll(async () => {
  ts = await startTestServer();
  const user = await ts.createUser('front_desk');
  deskId = user.userId;
  desk = await ts.login(user);
  for (const [name, dob] of [
    [`Ann ${tag}son`, '1970-01-02'],
    [`${tag}a Bell`, '1980-03-04'],
    [`Cy ${tag}son Dee`, '1990-05-06'],
    [`Dan Mid${tag}son`, '1970-01-02'],
    [`Eve ${tag}_x`, '1970-01-02'],
    [`Fay ${tag}yx`, '1970-01-02'],
  ] as const) {
    await createPatient(ts.db.knex, { name, dob });
  }
});
afterAll(async () => ts?.close());

const names = (res: { body: { items: { name: string }[] } }) => res.body.items.map((p) => p.name);

describe('GET /api/patients?q= for the front desk', () => {
  it('finds the start of the name or of any later word, case-insensitively, in name order, never mid-word', async () => {
    const res = await desk.get(`/api/patients?q=${tag.toUpperCase()}`);
    expect(res.status).toBe(200);
    expect(names(res)).toEqual([`Ann ${tag}son`, `Cy ${tag}son Dee`, `Eve ${tag}_x`, `Fay ${tag}yx`, `${tag}a Bell`]);
    expect(names(await desk.get(`/api/patients?q=${tag}son`))).toEqual([`Ann ${tag}son`, `Cy ${tag}son Dee`]);
  });

  it('treats % and _ as themselves', async () => {
    expect(names(await desk.get(`/api/patients?q=${encodeURIComponent(`${tag}_`)}`))).toEqual([`Eve ${tag}_x`]);
    expect(names(await desk.get(`/api/patients?q=${encodeURIComponent(`${tag}%`)}`))).toEqual([]);
  });

  it('follows a rename and an erasure at once, across several words and letters beyond ASCII', async () => {
    const k = ts.db.knex;
    const id = await createPatient(k, { name: `Zoë  ${tag}Öst van Dijk`, dob: '1975-07-08' });
    expect(names(await desk.get(`/api/patients?q=${encodeURIComponent(`${tag}öst van`)}`))).toEqual([`Zoë  ${tag}Öst van Dijk`]);
    expect(names(await desk.get(`/api/patients?q=${encodeURIComponent(`zoë  ${tag}`)}`))).toEqual([`Zoë  ${tag}Öst van Dijk`]);
    await k.raw('UPDATE patients SET name = ? WHERE patient_id = ?', [`Zoe ${tag}Renamed`, id]);
    expect(names(await desk.get(`/api/patients?q=${encodeURIComponent(`${tag}öst`)}`))).toEqual([]);
    expect(names(await desk.get(`/api/patients?q=${tag}renamed`))).toEqual([`Zoe ${tag}Renamed`]);
    const officer = await ts.createUser('compliance');
    await erasePatient(ts.db.appKnex, { userId: officer.userId, role: 'compliance' }, id, 'test: erasure leaves nothing to search');
    expect(names(await desk.get(`/api/patients?q=${tag}renamed`))).toEqual([]);
    const { rows } = await k.raw('SELECT count(*)::int AS n FROM patient_name_suffixes WHERE patient_id = ? AND suffix LIKE ?', [id, `%${tag.toLowerCase()}%`]);
    expect(rows[0].n).toBe(0);
  });

  it('pages through the matches', async () => {
    const first = await desk.get(`/api/patients?q=${tag}&limit=2`);
    const second = await desk.get(`/api/patients?q=${tag}&limit=2&offset=2`);
    expect([...names(first), ...names(second)]).toEqual([`Ann ${tag}son`, `Cy ${tag}son Dee`, `Eve ${tag}_x`, `Fay ${tag}yx`]);
    expect(first.body.nextOffset).toBe(2);
  });
});

describe('one- to three-letter searches (index-backed, stopped at the page)', () => {
  /** The same search as the LIKE it replaces, read as the front desk through the policy: the reference answer. */
  const reference = (q: string, limit: number, offset: number, dob?: string) =>
    asStaff(ts.db.appKnex, { userId: deskId, role: 'front_desk' }, async (trx) => {
      const { rows } = await trx.raw(
        `SELECT p.name FROM patient_summary p
         WHERE (lower(p.name) LIKE ? OR lower(p.name) LIKE ?) AND (?::date IS NULL OR p.patient_id IN (SELECT patient_id FROM patients WHERE dob = ?::date))
         ORDER BY p.name, p.patient_id LIMIT ? OFFSET ?`,
        [`${q}%`, `% ${q}%`, dob ?? null, dob ?? null, limit, offset],
      );
      return rows.map((r: { name: string }) => r.name);
    });

  /** The names patient_name_candidates gives as the front desk for `q` born on `dob`, read through the policy. */
  const candidateNames = (q: string, dob: string) =>
    asStaff(ts.db.appKnex, { userId: deskId, role: 'front_desk' }, async (trx) => {
      const { rows } = await trx.raw('SELECT p.name FROM patient_name_candidates(?, ?, 100) c JOIN patient_summary p ON p.patient_id = c ORDER BY p.name, p.patient_id', [q, dob]);
      return rows.map((r: { name: string }) => r.name);
    });

  beforeAll(async () => {
    // Enough names for several pages of one letter, some with two words starting with it.
    for (let i = 0; i < 30; i++) await createPatient(ts.db.knex, { name: `Q${String.fromCharCode(97 + (i % 26))}${i} Quill${i}`, dob: i % 3 ? '1966-06-06' : '1977-07-07' });
    // Two words starting with the same three letters: listed once.
    await createPatient(ts.db.knex, { name: 'Quinn Quillon', dob: '1955-05-05' });
  });

  it('answers one letter as the LIKE did: start of the name or of a later word, in name order, page by page', async () => {
    for (const offset of [0, 10, 20, 40]) {
      const res = await desk.get(`/api/patients?q=Q&limit=10&offset=${offset}`);
      expect(res.status).toBe(200);
      expect(names(res)).toEqual(await reference('q', 10, offset));
    }
    // A patient with two words starting with the letter is listed once.
    const all = names(await desk.get('/api/patients?q=q&limit=100'));
    expect(new Set(all).size).toBe(all.length);
    expect(all.length).toBeGreaterThanOrEqual(30);
  });

  it('answers two letters the same way, and narrows by date of birth', async () => {
    expect(names(await desk.get('/api/patients?q=qa&limit=25'))).toEqual(await reference('qa', 25, 0));
    expect(names(await desk.get('/api/patients?q=QU&limit=5&offset=5'))).toEqual(await reference('qu', 5, 5));
    const byDob = await candidateNames('qu', '1977-07-07');
    expect(byDob).toEqual(await reference('qu', 100, 0, '1977-07-07'));
    expect(byDob.length).toBe(10);
  });

  it('answers three letters the same way page by page, and four letters and a date of birth off the key range', async () => {
    for (const offset of [0, 10, 20, 30]) expect(names(await desk.get(`/api/patients?q=QUI&limit=10&offset=${offset}`))).toEqual(await reference('qui', 10, offset));
    expect(names(await desk.get('/api/patients?q=qui&limit=100'))).toHaveLength(31);
    expect(names(await desk.get('/api/patients?q=quil&limit=7&offset=3'))).toEqual(await reference('quil', 7, 3));
    const byDob = await candidateNames('qui', '1977-07-07');
    expect(byDob).toEqual(await reference('qui', 100, 0, '1977-07-07'));
    expect(byDob.length).toBe(10);
  });

  it('reads three letters, and only three, through their own index', async () => {
    const scans = await asStaff(ts.db.appKnex, { userId: deskId, role: 'front_desk' }, async (trx) => {
      // A test table is small enough for a sequential scan; ask which index the function can use.
      await trx.raw('SET LOCAL enable_seqscan = off');
      await trx.raw('SET LOCAL enable_bitmapscan = off');
      const first3 = async () => Number((await trx.raw(`SELECT pg_stat_get_xact_numscans('patient_name_suffixes_first3_idx'::regclass) AS n`)).rows[0].n);
      const counts = [await first3()];
      for (const q of ['qui', 'quil', 'qu']) {
        await trx.raw('SELECT count(*) FROM patient_name_candidates(?, NULL, 10, 0)', [q]);
        counts.push(await first3());
      }
      return counts;
    });
    // 'qui' scanned it; 'quil' (four letters: the key range) and 'qu' (first2) did not.
    expect(scans[1]! - scans[0]!).toBeGreaterThan(0);
    expect(scans[3]).toBe(scans[1]);
  });

  it('reads a short needle off an index in name order beneath the row-level policy, so the page ends the scan', async () => {
    const plan = await ts.db.knex.transaction(async (trx) => {
      // As the function's owner, so the table's row-level security applies as it does in the function.
      await trx.raw('SET LOCAL ROLE clinicpulse_owner');
      await trx.raw('SET LOCAL enable_seqscan = off');
      await trx.raw('SET LOCAL enable_bitmapscan = off');
      const explain = async (k: number, q: string) =>
        (await trx.raw(`EXPLAIN SELECT DISTINCT s.name, s.patient_id FROM patient_name_suffixes s WHERE s.first${k} = ? ORDER BY s.name, s.patient_id LIMIT 26`, [q])).rows
          .map((r: { 'QUERY PLAN': string }) => r['QUERY PLAN'])
          .join('\n');
      return [await explain(1, 'q'), await explain(2, 'qu'), await explain(3, 'qui')];
    });
    expect(plan[0]).toContain('patient_name_suffixes_first1_idx');
    expect(plan[1]).toContain('patient_name_suffixes_first2_idx');
    expect(plan[2]).toContain('patient_name_suffixes_first3_idx');
    for (const p of plan) expect(p).not.toContain('Sort');
  });
});

describe('patient_name_candidates', () => {
  it('narrows by date of birth when given one', async () => {
    const ids = await asStaff(ts.db.appKnex, { userId: deskId, role: 'front_desk' }, async (trx) => {
      const { rows } = await trx.raw('SELECT p.name FROM patient_name_candidates(?, ?) c JOIN patient_summary p ON p.patient_id = c ORDER BY 1', [tag, '1970-01-02']);
      return rows.map((r: { name: string }) => r.name);
    });
    expect(ids).toEqual([`Ann ${tag}son`, `Eve ${tag}_x`, `Fay ${tag}yx`]);
  });

  it('returns nothing without a front-desk identity, and only the front desk may call it', async () => {
    const none = await ts.db.appKnex.transaction(async (trx) => {
      await trx.raw('SET LOCAL ROLE front_desk');
      return (await trx.raw('SELECT count(*)::int AS n FROM patient_name_candidates(?)', [tag])).rows[0].n;
    });
    expect(none).toBe(0);
    const clinician = await ts.createUser('clinician');
    const state = await sqlState(() => asStaff(ts.db.appKnex, { userId: clinician.userId, role: 'clinician' }, (trx) => trx.raw('SELECT patient_name_candidates(?)', [tag])));
    expect(state).toBe('42501');
  });

  it('has an index that answers its search (the bench measures it at 200k patients)', async () => {
    const plan = await ts.db.knex.transaction(async (trx) => {
      // A test database is too small for the planner to prefer any index; ask whether it can.
      await trx.raw('SET LOCAL enable_seqscan = off');
      const { rows } = await trx.raw(`EXPLAIN SELECT patient_id FROM patients WHERE lower(name) LIKE 'qzabc%' OR lower(name) LIKE '% qzabc%'`);
      return rows.map((r: { 'QUERY PLAN': string }) => r['QUERY PLAN']).join('\n');
    });
    expect(plan).toContain('patients_name_trgm_idx');
  });
});
