/**
 * `npm run keys:rotate [-- --batch N] [--pause-ms MS]`: with MASTER_KEY set to the new
 * key and MASTER_KEY_PREVIOUS to the old one (the same settings the running service
 * gets for the rotation), re-wrap every data key under the new key, then retire the
 * old one. Safe to interrupt and re-run. See docs/operations.md, "Rotating the master key".
 */
import 'dotenv/config';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, previousMasterKeys } from '../config.js';
import { migrateLatest } from '../db/migrate.js';
import { FieldCrypto, MasterKeyError } from '../crypto/index.js';
import { RotationError, rotateMasterKey } from '../ops/rotate-keys.js';
import { withAdminDatabase } from './admin-database.js';
import { runCli } from './exit.js';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { batch: { type: 'string', default: '500' }, 'pause-ms': { type: 'string', default: '0' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    console.log('usage: MASTER_KEY=<new> MASTER_KEY_PREVIOUS=<old> npm run keys:rotate [-- --batch N] [--pause-ms MS]');
    return 0;
  }
  const config = loadConfig();
  if (!config.MASTER_KEY || !config.MASTER_KEY_PREVIOUS) {
    throw new ConfigError('Set MASTER_KEY to the new key and MASTER_KEY_PREVIOUS to the current one (and give the running service the same two settings first).');
  }
  const batchSize = Number(values.batch);
  const pauseMs = Number(values['pause-ms']);
  if (!Number.isInteger(batchSize) || batchSize < 1 || !Number.isInteger(pauseMs) || pauseMs < 0) throw new ConfigError('--batch must be a positive integer, --pause-ms a non-negative one');
  const crypto = new FieldCrypto(config.MASTER_KEY, previousMasterKeys(config));
  const r = await withAdminDatabase(config, { name: 'keys-rotate', poolMax: 2, say: (line) => console.log(line) }, async (knex) => {
    await migrateLatest(knex);
    return rotateMasterKey(knex, crypto, { batchSize, pauseMs, say: (l) => console.log(l) });
  });
  console.log(`Done: ${r.rewrapped} data key(s) re-wrapped in ${r.batches} batch(es); every data key is under the new MASTER_KEY.`);
  console.log(`Retired master key id(s) ${r.retired.join(', ')}: remove MASTER_KEY_PREVIOUS from every process; the service now refuses the old key.`);
  return 0;
}

runCli(main, { known: [ConfigError, RotationError, MasterKeyError], failed: 'Key rotation failed' });
