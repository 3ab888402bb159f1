/**
 * `npm run audit:verify`: check the audit log's hash chain with the administrator's
 * connection (DATABASE_URL, or the embedded database, also while `npm start` runs). Prints "intact, N rows" and the
 * chain head (record it somewhere else: it anchors the chain), or the first broken link.
 * Exit code 0 when intact, 1 when broken, 2 when the check could not run.
 */
import 'dotenv/config';
import { loadConfig } from '../config.js';
import { describeAuditChain, verifyAuditChain } from '../db/repository/audit-chain.js';
import { withAdminDatabase } from './admin-database.js';

// Beside `npm start`, which holds the embedded data directory, the check runs through that running server.
try {
  const report = await withAdminDatabase(loadConfig(), { name: 'audit-verify' }, (knex) => verifyAuditChain(knex));
  console.log(describeAuditChain(report));
  process.exitCode = report.intact ? 0 : 1;
} catch (err) {
  console.error(`The audit chain could not be checked: ${(err as Error).message}`);
  process.exitCode = 2;
}
