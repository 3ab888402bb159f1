/**
 * After an erasure commits, the server VACUUMs the tables it touched (issue 9, item 17).
 * erase_patient() overwrites the identity, deletes the wrapped data key and the patient's
 * waitlist entries, but the old row versions, with the name, the email, the wrapped key and
 * a waitlist note, stay in the heap and the
 * index pages until VACUUM. Read with pageinspect, tuple by tuple: without the VACUUM the
 * canary is still in a dead version; with it, no tuple and no index entry holds it.
 * (The bytes can remain in a page's free space until reused, and in WAL and backups:
 * docs/security.md says what remains.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { startTestServer, TEST_MASTER_KEY, type TestServer } from '../support/server.js';
import { createPatient } from '../support/clinic.js';
import { asStaff } from '../../server/db/index.js';
import { adminMaintenance } from '../../server/db/maintenance.js';
import { saveVisitNotes } from '../../server/db/repository/visit-notes.js';
import { FieldCrypto } from '../../server/crypto/index.js';
import { addVisit } from './fixtures.js';
import { createProvider } from '../support/clinic.js';
import { createStaff } from '../support/staff.js';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
  await db.knex.raw('CREATE EXTENSION IF NOT EXISTS pageinspect');
});
afterAll(async () => db?.drop());

/** Heap tuples (live or dead, any page) of `table` whose data contains `needle`. */
async function tuplesContaining(table: string, needle: Buffer): Promise<number> {
  const { rows } = await db.knex.raw(
    `SELECT count(*)::int AS n
     FROM generate_series(0, pg_relation_size(?::regclass) / current_setting('block_size')::int - 1) b,
          LATERAL heap_page_items(get_raw_page(?, b::int)) i
     WHERE position(?::bytea IN i.t_data) > 0`,
    [table, table, needle],
  );
  return rows[0].n;
}

/** Index entries (any leaf page) of the btree `index` whose key contains `needle`. */
async function indexEntriesContaining(index: string, needle: Buffer): Promise<number> {
  const { rows } = await db.knex.raw(
    `SELECT count(*)::int AS n
     FROM generate_series(1, pg_relation_size(?::regclass) / current_setting('block_size')::int - 1) b,
          LATERAL bt_page_items(?, b::int) i
     WHERE replace(i.data, ' ', '') LIKE '%' || encode(?::bytea, 'hex') || '%'`,
    [index, index, needle],
  );
  return rows[0].n;
}

/** A patient with a canary identity and a saved note (so a wrapped data key), erased over the API. */
async function eraseCanary(ts: TestServer, label: string) {
  const name = `Cassiopeia ${label} Vantablack`;
  const email = `cassiopeia.${label.toLowerCase()}@canary.example.org`;
  const patientId = await createPatient(db.knex, { name, email, phone: '+1 555 013 7777' });
  const providerId = await createProvider(db.knex);
  const clinician = await createStaff(db.knex, 'clinician', { providerId });
  const { visitId } = await addVisit(db.knex, providerId, patientId);
  await asStaff(db.appKnex, { userId: clinician.userId, role: 'clinician' }, (trx) =>
    saveVisitNotes(trx, new FieldCrypto(TEST_MASTER_KEY), visitId, patientId, 'Canary note.'),
  );
  const key: Buffer = (await db.knex.raw('SELECT wrapped_key FROM patient_keys WHERE patient_id = ?', [patientId])).rows[0].wrapped_key;
  // A waitlist entry whose note names the patient: the erasure deletes it.
  const note = `Call ${name} on ${email} when a slot opens`;
  await db.knex.raw(
    `INSERT INTO waitlist_entries (patient_id, provider_id, earliest, latest, duration_min, note) VALUES (?, ?, '2030-01-07T14:00:00Z', '2030-01-07T18:00:00Z', 30, ?)`,
    [patientId, providerId, note],
  );
  expect(await tuplesContaining('patients', Buffer.from(name))).toBe(1);

  const officer = await ts.login(await ts.createUser('compliance'));
  const res = await officer.post(`/api/patients/${patientId}/erase`, { reason: 'GDPR Art. 17 request, ticket 9017' });
  expect(res.status).toBe(200);
  return {
    name: await tuplesContaining('patients', Buffer.from(name)),
    email: await tuplesContaining('patients', Buffer.from(email)),
    emailIndex: await indexEntriesContaining('patients_email_key', Buffer.from(email)),
    key: await tuplesContaining('patient_keys', key),
    waitlistNote: await tuplesContaining('waitlist_entries', Buffer.from(note)),
  };
}

describe('the old row versions of an erased patient', () => {
  it('without the VACUUM, stay in the table and the index (what the review found)', async () => {
    const ts = await startTestServer({ db });
    try {
      const left = await eraseCanary(ts, 'Before');
      expect(left.name).toBe(1);
      expect(left.email).toBe(1);
      expect(left.emailIndex).toBe(1);
      expect(left.key).toBe(1);
      expect(left.waitlistNote).toBe(1);
    } finally {
      await ts.close();
    }
  });

  it('are gone from every tuple and index entry once the server has vacuumed after the erasure', async () => {
    const ts = await startTestServer({ db, maintenance: adminMaintenance(db.url) });
    try {
      expect(await eraseCanary(ts, 'After')).toEqual({ name: 0, email: 0, emailIndex: 0, key: 0, waitlistNote: 0 });
    } finally {
      await ts.close();
    }
  });
});
