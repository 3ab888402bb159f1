/**
 * Master-key rotation: `npm run keys:rotate` re-wraps every data key under the new
 * master key while the service keeps reading (it holds both keys), survives being
 * killed halfway (a re-run finishes the job), keeps every sealed note readable, and
 * afterwards the old key opens nothing and the service refuses to start with it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createPatient } from '../support/clinic.js';
import { FieldCrypto, MasterKeyError } from '../../server/crypto/index.js';
import { assertMasterKeyNotRetired } from '../../server/ops/rotate-keys.js';

const run = promisify(execFile);
const OLD = '1a'.repeat(32);
const NEW = '2b'.repeat(32);
const PATIENTS = 24;
let db: TestDatabase;
/** patientId → a note sealed under that patient's data key before the rotation. */
const sealed = new Map<number, Buffer>();

const env = () => ({ ...process.env, DATABASE_URL: db.url, MASTER_KEY: NEW, MASTER_KEY_PREVIOUS: OLD });
const wrappedKeys = async () =>
  (await db.knex.raw<{ rows: { patient_id: number; wrapped_key: Buffer }[] }>('SELECT patient_id, wrapped_key FROM patient_keys ORDER BY patient_id')).rows;
const underKey = async (hex: string) => {
  const id = new FieldCrypto(hex).currentKeyId!;
  return (await wrappedKeys()).filter((r) => r.wrapped_key.subarray(1, 9).equals(id)).length;
};
/** Every sealed note opens through `crypto`, the way the service reads a note. */
const readsAll = async (crypto: FieldCrypto) => {
  for (const r of await wrappedKeys()) {
    const key = crypto.unwrapDataKey(r.patient_id, r.wrapped_key);
    expect(key.decrypt(sealed.get(r.patient_id)!, `visit_notes:${r.patient_id}`)).toBe(`note of patient ${r.patient_id}`);
    key.wipe();
  }
};

beforeAll(async () => {
  db = await createTestDatabase();
  const old = new FieldCrypto(OLD);
  for (let i = 0; i < PATIENTS; i++) {
    const patientId = await createPatient(db.knex);
    const { dataKey, wrapped } = old.newDataKey(patientId);
    sealed.set(patientId, dataKey.encrypt(`note of patient ${patientId}`, `visit_notes:${patientId}`));
    await db.knex.raw('INSERT INTO patient_keys (patient_id, wrapped_key) VALUES (?, ?)', [patientId, wrapped]);
  }
});
afterAll(async () => db?.drop());

describe('npm run keys:rotate', () => {
  it('killed halfway leaves a mix that the service still reads with both keys', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/cli/keys-rotate.ts', '--batch', '4', '--pause-ms', '400'], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const exited = new Promise((resolve) => child.on('exit', resolve));
    const deadline = Date.now() + 60_000;
    while (!out.includes('batch 2:') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGKILL');
    await exited;
    expect(out).toContain(`${PATIENTS} data key(s) to re-wrap`);
    const moved = await underKey(NEW);
    expect(moved).toBeGreaterThanOrEqual(8);
    expect(moved).toBeLessThan(PATIENTS);
    expect(await underKey(OLD)).toBe(PATIENTS - moved);
    // The service during the rotation: MASTER_KEY=new, MASTER_KEY_PREVIOUS=old.
    await readsAll(new FieldCrypto(NEW, [OLD]));
    // New keys meanwhile are wrapped under the new key.
    const fresh = await createPatient(db.knex);
    const { dataKey, wrapped } = new FieldCrypto(NEW, [OLD]).newDataKey(fresh);
    sealed.set(fresh, dataKey.encrypt(`note of patient ${fresh}`, `visit_notes:${fresh}`));
    await db.knex.raw('INSERT INTO patient_keys (patient_id, wrapped_key) VALUES (?, ?)', [fresh, wrapped]);
    expect(() => new FieldCrypto(NEW).unwrapDataKey(fresh, wrapped)).not.toThrow();
  });

  it('a re-run finishes the job; every note still opens with the new key alone; the old key is refused', async () => {
    const before = await underKey(OLD);
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'server/cli/keys-rotate.ts', '--batch', '5'], { env: env(), timeout: 120_000 });
    expect(stdout).toContain(`Done: ${before} data key(s) re-wrapped`);
    expect(stdout).toMatch(/Retired master key id\(s\) [0-9a-f]{16}/);
    expect(await underKey(OLD)).toBe(0);
    expect(await underKey(NEW)).toBe(PATIENTS + 1);
    await readsAll(new FieldCrypto(NEW));
    // The old key opens nothing any more...
    const [first] = await wrappedKeys();
    expect(() => new FieldCrypto(OLD).unwrapDataKey(first!.patient_id, first!.wrapped_key)).toThrow(MasterKeyError);
    // ...and the service refuses to start with it (checked at start-up), but not with the new one.
    await expect(assertMasterKeyNotRetired(db.knex, OLD)).rejects.toThrow(/retired key .* set MASTER_KEY to the key that replaced it/);
    await expect(assertMasterKeyNotRetired(db.knex, NEW)).resolves.toBeUndefined();
    // Rotating "back" to the retired key is refused too.
    const back = await run(process.execPath, ['--import', 'tsx', 'server/cli/keys-rotate.ts'], {
      env: { ...env(), MASTER_KEY: OLD, MASTER_KEY_PREVIOUS: NEW },
      timeout: 120_000,
    }).then(() => undefined, (e: { code: number; stderr: string }) => e);
    expect(back?.code).toBe(1);
    expect(back?.stderr).toMatch(/retired/);
  });
});
