/**
 * `npm run user -- create --username U --role R [--provider-id N]` (password from
 * STAFF_PASSWORD or standard input), `npm run user -- deactivate --username U`,
 * `npm run user -- unlock --username U` (after repeated failed sign-ins; audited),
 * `npm run user -- list`. Uses the administrator's connection (DATABASE_URL, or the
 * embedded database, even while `npm start` is running on it).
 */
import 'dotenv/config';
import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline';
import { loadConfig, ConfigError } from '../config.js';
import { AccountError, createAccount, deactivateAccount, listAccounts, unlockAccount } from '../auth/accounts.js';
import { withAdminDatabase } from './admin-database.js';
import { STAFF_ROLES } from '../../shared/vocabulary.js';
import { runCli } from './exit.js';

const USAGE = `usage:
  npm run user -- create --username U --role ${STAFF_ROLES.join('|')} [--provider-id N]
      (password from STAFF_PASSWORD, or typed on standard input)
  npm run user -- deactivate --username U
  npm run user -- unlock --username U      (lift a lock-out after repeated failed sign-ins)
  npm run user -- list`;

async function readPassword(): Promise<string> {
  if (process.env.STAFF_PASSWORD) return process.env.STAFF_PASSWORD;
  const tty = process.stdin.isTTY;
  const rl = createInterface({ input: process.stdin, output: tty ? process.stderr : undefined, terminal: tty });
  if (tty) {
    process.stderr.write('Password: ');
    // Keep the typed characters off the screen.
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => {};
  }
  for await (const line of rl) {
    rl.close();
    if (tty) process.stderr.write('\n');
    return line.replace(/\r$/, '');
  }
  throw new AccountError('no password given (set STAFF_PASSWORD or pipe it on standard input)');
}

async function main(): Promise<number> {
  const [command, ...rest] = process.argv.slice(2);
  const { values } = parseArgs({
    args: rest,
    options: { username: { type: 'string' }, role: { type: 'string' }, 'provider-id': { type: 'string' } },
    strict: true,
  });
  if (command !== 'create' && command !== 'deactivate' && command !== 'unlock' && command !== 'list') {
    console.error(USAGE);
    return 2;
  }
  if (command !== 'list' && !values.username) {
    console.error(USAGE);
    return 2;
  }
  const password = command === 'create' ? await readPassword() : '';
  await withAdminDatabase(loadConfig(), { name: 'user' }, async (knex) => {
    if (command === 'create') {
      const providerId = values['provider-id'] === undefined ? undefined : Number(values['provider-id']);
      if (providerId !== undefined && !Number.isSafeInteger(providerId)) throw new AccountError('--provider-id must be a number');
      const a = await createAccount(knex, { username: values.username!, role: values.role ?? '', providerId, password });
      console.log(`Created ${a.username} (${a.role}${a.providerId ? `, provider ${a.providerId}` : ''}), id ${a.userId}.`);
    } else if (command === 'deactivate') {
      const done = await deactivateAccount(knex, values.username!);
      if (!done) throw new AccountError(`no active account named ${values.username}`);
      console.log(`Deactivated ${values.username}; their sessions have ended.`);
    } else if (command === 'unlock') {
      const done = await unlockAccount(knex, values.username!);
      if (!done) throw new AccountError(`no locked account named ${values.username}`);
      console.log(`Unlocked ${values.username}; they can sign in again (recorded in the audit log).`);
    } else {
      const rows = await listAccounts(knex);
      for (const a of rows) {
        console.log(`${a.username.padEnd(24)} ${a.role.padEnd(11)} ${a.providerId ? `provider ${a.providerId}`.padEnd(14) : ''.padEnd(14)} ${a.active ? 'active' : `deactivated ${a.deactivatedAt?.toISOString()}`}${a.lockedAt ? ` locked ${a.lockedAt.toISOString()}` : ''}`);
      }
      if (!rows.length) console.log('No staff accounts.');
    }
  });
  return 0;
}

runCli(main, { known: [AccountError, ConfigError], failed: 'user command failed' });
