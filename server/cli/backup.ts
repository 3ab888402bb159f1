/**
 * `npm run backup [-- --out DIR]`: a consistent pg_dump of the database (DATABASE_URL,
 * or the embedded one, running or not) with its manifest and erasure ledger, into
 * BACKUP_DIR (default backups/). See docs/operations.md, "Backup and restore".
 */
import 'dotenv/config';
import path from 'node:path';
import { parseArgs } from 'node:util';

const shown = (file: string) => (path.relative(process.cwd(), file).startsWith('..') ? file : path.relative(process.cwd(), file));
import { ConfigError, loadConfig } from '../config.js';
import { openDatabaseServer } from '../db/connect.js';
import { DataDirectoryInUseError, EmbeddedPlacementError } from '../db/embedded.js';
import { BackupError, runBackup } from '../ops/backup.js';
import { runCli } from './exit.js';

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { out: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true });
  if (values.help) {
    console.log('usage: npm run backup [-- --out DIR]');
    return 0;
  }
  const config = loadConfig();
  const server = await openDatabaseServer(config, (line) => console.log(line), { joinRunning: true });
  try {
    const r = await runBackup({ adminUrl: server.adminUrl, backupUrl: config.BACKUP_DATABASE_URL, outDir: values.out ?? config.BACKUP_DIR });
    const m = r.manifest;
    const rows = Object.values(m.tables).reduce((a, t) => a + t.rows, 0);
    console.log(`Backed up ${m.database} (PostgreSQL ${m.postgresVersion}, migration ${m.migration.latest}) in ${(r.ms / 1000).toFixed(1)} s:`);
    console.log(`  ${shown(r.dumpFile)}  ${(m.bytes / 1048576).toFixed(1)} MB, ${Object.keys(m.tables).length} tables, ${rows.toLocaleString('en-US')} rows`);
    console.log(`  sha256 ${m.sha256}`);
    console.log(`  manifest ${shown(r.manifestFile)}; erasure ledger ${m.erasureLedgerFile} (${m.erasures} erasures)`);
    console.log('The master key is not in the backup: keep MASTER_KEY (or DATA_DIR/master-key) safe separately.');
    return 0;
  } finally {
    await server.stop();
  }
}

runCli(main, { known: [BackupError, ConfigError, DataDirectoryInUseError, EmbeddedPlacementError], failed: 'Backup failed' });
