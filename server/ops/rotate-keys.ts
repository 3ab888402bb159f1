/**
 * `npm run keys:rotate`: re-wrap every patient's data key under a new master key,
 * online and in small batches. The data keys themselves do not change, so no note is
 * re-encrypted and every reader keeps working: during the rotation the service runs
 * with MASTER_KEY = the new key and MASTER_KEY_PREVIOUS = the old one, and unwraps
 * with whichever a key names. Each batch is its own short transaction, so a crash
 * loses at most one uncommitted batch and a re-run simply continues with what is not
 * yet under the new key. At the end, with nothing left under the old key, its id is
 * recorded as retired: from then on the service refuses to start with it.
 */
import type { Knex } from 'knex';
import { asService } from '../db/index.js';
import {
  adoptMasterKey,
  KEY_OWNER_ROLE,
  masterKeyRetiredAt,
  recordRetiredKeys,
  replaceWrappedKey,
  wrappedKeysByMasterKey,
  wrappedKeysNotUnder,
} from '../db/repository/key-rotation.js';
import { FieldCrypto, MasterKeyError } from '../crypto/index.js';
import { masterKeyId } from '../crypto/field-crypto.js';

export class RotationError extends Error {}

export interface RotationOptions {
  batchSize?: number;
  /** Pause between batches (ms), to leave the database to the service on a busy day. */
  pauseMs?: number;
  say?: (line: string) => void;
}

export interface RotationResult {
  rewrapped: number;
  batches: number;
  retired: string[];
}

/** Refuse a master key that a finished rotation retired (checked at start-up and before rotating). */
export async function assertMasterKeyNotRetired(knex: Knex, masterKeyHex: string): Promise<void> {
  const at = await masterKeyRetiredAt(knex, masterKeyId(Buffer.from(masterKeyHex, 'hex')));
  if (at) {
    throw new MasterKeyError(
      `MASTER_KEY is a retired key (npm run keys:rotate replaced it on ${at.toISOString()}): set MASTER_KEY to the key that replaced it.`,
    );
  }
}

export async function rotateMasterKey(adminKnex: Knex, crypto: FieldCrypto, opts: RotationOptions = {}): Promise<RotationResult> {
  const say = opts.say ?? (() => {});
  const batchSize = opts.batchSize ?? 500;
  const current = crypto.currentKeyId;
  if (!current) throw new RotationError('MASTER_KEY (the new key) is not set.');
  const retiredAt = await masterKeyRetiredAt(adminKnex, current);
  if (retiredAt) throw new RotationError(`MASTER_KEY was retired on ${retiredAt.toISOString()}: rotate to a new key, not back to an old one.`);

  const known = new Set([current, ...crypto.previousKeyIds].map((id) => id.toString('hex')));
  const before = await asService(adminKnex, KEY_OWNER_ROLE, wrappedKeysByMasterKey, { readOnly: true });
  const unknown = [...before.keys()].filter((id) => !known.has(id));
  if (unknown.length) {
    throw new RotationError(
      `Data keys are wrapped under master key id(s) ${unknown.join(', ')}, which neither MASTER_KEY nor MASTER_KEY_PREVIOUS is: set MASTER_KEY_PREVIOUS to the old key.`,
    );
  }
  // The new key becomes the database's key first, so the service restarted on it starts, and
  // data keys created while the rotation runs are wrapped (and proven) under it.
  await asService(adminKnex, KEY_OWNER_ROLE, (trx) => adoptMasterKey(trx, current, crypto.keyStoreProof().proof));
  const todo = [...before.entries()].filter(([id]) => id !== current.toString('hex')).reduce((a, [, n]) => a + n, 0);
  say(`${todo} data key(s) to re-wrap under the new master key (id ${current.toString('hex')}), ${batchSize} per batch.`);

  let rewrapped = 0;
  let batches = 0;
  let after = 0;
  for (;;) {
    const done = await asService(adminKnex, KEY_OWNER_ROLE, async (trx) => {
      const rows = await wrappedKeysNotUnder(trx, current, after, batchSize);
      let n = 0;
      for (const r of rows) {
        const next = crypto.rewrap(r.patientId, r.wrapped);
        if (next && (await replaceWrappedKey(trx, r.patientId, r.wrapped, next))) n++;
      }
      return { n, last: rows.at(-1)?.patientId, count: rows.length };
    });
    if (done.count === 0) break;
    batches++;
    rewrapped += done.n;
    after = done.last!;
    say(`  batch ${batches}: ${done.n} re-wrapped (${rewrapped} of ${todo})`);
    if (opts.pauseMs) await new Promise((r) => setTimeout(r, opts.pauseMs));
  }

  // Finished only when nothing at all is left under another key (a key created meanwhile is under the new one).
  const retired = await asService(adminKnex, KEY_OWNER_ROLE, async (trx) => {
    const left = [...(await wrappedKeysByMasterKey(trx)).entries()].filter(([id]) => id !== current.toString('hex'));
    if (left.length) throw new RotationError(`${left.reduce((a, [, n]) => a + n, 0)} data key(s) are still under an old key; run keys:rotate again.`);
    const old = crypto.previousKeyIds;
    await recordRetiredKeys(trx, old, current, rewrapped);
    return old.map((id) => id.toString('hex'));
  });
  return { rewrapped, batches, retired };
}
