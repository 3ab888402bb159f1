/**
 * `npm run restore -- FILE [--into DATABASE_URL] [--force] [--ledger-from URL ...]`:
 * restore a backup made by `npm run backup`, verify it against its manifest and
 * re-apply later erasures (server/ops/restore.ts). Without --into it restores into
 * the configured database (DATABASE_URL or the embedded one), which must then be
 * empty or replaced with --force. The configured database's erasure ledger is read
 * first in any case, so erasures made after the backup are carried out again.
 */
import 'dotenv/config';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config.js';
import { openDatabaseServer } from '../db/connect.js';
import { DataDirectoryInUseError, EmbeddedPlacementError } from '../db/embedded.js';
import { BackupError } from '../ops/backup.js';
import { runRestore } from '../ops/restore.js';
import { runCli } from './exit.js';

const USAGE = 'usage: npm run restore -- FILE [--into DATABASE_URL] [--force] [--ledger-from URL ...] [--no-live-ledger]';

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    options: {
      into: { type: 'string' },
      force: { type: 'boolean' },
      'ledger-from': { type: 'string', multiple: true },
      'no-live-ledger': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help || positionals.length !== 1) {
    console.error(USAGE);
    return values.help ? 0 : 2;
  }
  const config = loadConfig();
  const server = await openDatabaseServer(config, (line) => console.log(line), { joinRunning: true });
  try {
    const ledgerFrom = [...(values['ledger-from'] ?? []), ...(values['no-live-ledger'] ? [] : [server.adminUrl])];
    const r = await runRestore({
      file: positionals[0]!,
      targetUrl: values.into ?? server.adminUrl,
      force: values.force,
      ledgerFrom,
      say: (line) => console.log(line),
    });
    console.log(`Done in ${(r.ms / 1000).toFixed(1)} s.`);
    return 0;
  } finally {
    await server.stop();
  }
}

runCli(main, { known: [BackupError, ConfigError, DataDirectoryInUseError, EmbeddedPlacementError], failed: 'Restore failed' });
