/**
 * `npm start`: the database (embedded unless DATABASE_URL), migrations, the demo
 * seed and demo accounts on an empty database (never in production), then the
 * HTTP(S) server. SIGINT/SIGTERM: stop accepting, let in-flight requests finish,
 * close the pool, stop the embedded database.
 *
 * The admin URL is used at start-up (migrate, seed, set the service login's
 * password, register the master key) and, afterwards, only for one fixed VACUUM
 * after an erasure (server/db/maintenance.ts); requests use the clinicpulse_app
 * login, which owns nothing.
 */
import 'dotenv/config';
import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';
import { loadConfig, ConfigError, servesTls, type Config } from './config.js';
import { openDatabaseServer, prepareAppLogin, prepareAuditWriter, type DatabaseServer } from './db/connect.js';
import { DataDirectoryInUseError, EmbeddedPlacementError } from './db/embedded.js';
import { createKnex } from './db/knex.js';
import { migrateLatest } from './db/migrate.js';
import { seedDemoIfEmpty } from '../seeds/demo.js';
import { activeDemoAccounts, createDemoAccounts, type DemoAccount } from '../seeds/demo-accounts.js';
import { appOptionsFromConfig, createApp, type ClinicPulseApp } from './app.js';
import { createLogger } from './http/observability.js';
import { loadSecrets } from './secrets.js';
import { FieldCrypto, MasterKeyError } from './crypto/index.js';
import { startWithMasterKey } from './db/repository/master-key.js';
import { adminMaintenance } from './db/maintenance.js';
import { assertMasterKeyNotRetired } from './ops/rotate-keys.js';
import { answerClientErrors } from './http/errors.js';
import { attachRealtime } from './realtime/attach.js';
import { metricsHandler } from './health/routes.js';
import { registerBackupMetrics, watchLivePush } from './http/ops-metrics.js';
import { runBackup } from './ops/backup.js';
import { pruneBackups, scheduleBackups } from './ops/backup-schedule.js';
import express from 'express';
import type { Realtime } from './realtime/index.js';

const pem = (value: string) => (value.includes('-----BEGIN') ? value : readFileSync(value, 'utf8'));

function printAccounts(accounts: DemoAccount[]): void {
  if (!accounts.length) return;
  // The shared demo password is documented in README.md (Accounts); start-up output is often
  // collected into logs, so it names the accounts but never prints a password.
  console.log('Demo accounts (demo data only; the password is in README.md, section "Accounts"):');
  for (const a of accounts) console.log(`  ${a.username.padEnd(12)} ${a.role}${a.providerId ? ` (provider ${a.providerId})` : ''}`);
}

async function prepareDatabase(config: Config, server: DatabaseServer, masterKeyHex: string): Promise<{ appUrl: string; accounts: DemoAccount[] }> {
  const admin: Knex = createKnex(server.adminUrl, { poolMax: 4, applicationName: 'clinicpulse-start' });
  try {
    const applied = await migrateLatest(admin);
    if (applied.length) console.log(`Applied ${applied.length} migration(s).`);
    // An old key left in this process's environment after a rotation would wrap new keys wrongly.
    await assertMasterKeyNotRetired(admin, masterKeyHex);
    // Before anything can wrap a patient key: a wrong MASTER_KEY stops the start here, and only
    // this key's holder may store data keys from now on (server/db/repository/master-key.ts).
    if ((await startWithMasterKey(admin, new FieldCrypto(masterKeyHex))) === 'recorded') console.log('Recorded the master key id (first start with this key).');
    const demoAllowed = config.NODE_ENV !== 'production' && (config.DEMO_SEED || server.kind === 'embedded');
    let accounts: DemoAccount[] = [];
    if (demoAllowed) {
      const seeded = await seedDemoIfEmpty(admin);
      if (seeded) {
        console.log(`Loaded the demo data: ${seeded.providers} providers, ${seeded.patients} patients, ${seeded.appointments} appointments.`);
        accounts = await createDemoAccounts(admin);
      } else {
        accounts = await activeDemoAccounts(admin);
      }
    }
    const appUrl = await prepareAppLogin(server.adminUrl, { dataDir: config.DATA_DIR, appDatabaseUrl: config.APP_DATABASE_URL });
    await prepareAuditWriter(server.adminUrl, { dataDir: config.DATA_DIR, password: config.AUDIT_WRITER_PASSWORD });
    return { appUrl, accounts };
  } finally {
    await admin.destroy();
  }
}

interface Running {
  appKnex?: Knex;
  clinic?: ClinicPulseApp;
  httpServer?: http.Server;
  metricsServer?: http.Server;
  realtime?: Realtime;
  backups?: { stop(): void };
}

async function main(): Promise<void> {
  const config = loadConfig();
  // Readable lines for a person at a terminal; JSON for production and for anything piped.
  const logger = createLogger(config.LOG_LEVEL, undefined, { pretty: config.NODE_ENV !== 'production' && Boolean(process.stdout.isTTY) });
  const secrets = loadSecrets(config, (line) => console.log(line));
  console.log(config.DATABASE_URL ? 'Using the PostgreSQL at DATABASE_URL' : `Starting the embedded PostgreSQL 15 in ${config.DATA_DIR}/pg`);
  const server = await openDatabaseServer(config);

  // Filled in as start-up proceeds, so a signal at any point stops what exists.
  const running: Running = {};
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: shutting down`);
    const { httpServer, clinic, appKnex } = running;
    // Live sockets first: they would otherwise hold the HTTP server open.
    await running.realtime?.close();
    if (httpServer?.listening) {
      const closed = new Promise<void>((resolve) => httpServer.close(() => resolve()));
      httpServer.closeIdleConnections();
      // In-flight requests get 10 s to finish; then their connections are cut.
      const force = setTimeout(() => httpServer.closeAllConnections(), 10_000);
      await closed;
      clearTimeout(force);
    }
    running.backups?.stop();
    running.metricsServer?.close();
    running.metricsServer?.closeAllConnections();
    clinic?.close();
    await appKnex?.destroy();
    await server.stop();
    console.log('Stopped.');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  try {
    await serve(config, server, secrets, logger, running);
  } catch (err) {
    // Do not leave the embedded PostgreSQL running behind a failed start (e.g. port in use).
    await running.realtime?.close();
    running.clinic?.close();
    await running.appKnex?.destroy();
    await server.stop();
    throw err;
  }
}

async function serve(
  config: Config,
  server: DatabaseServer,
  secrets: ReturnType<typeof loadSecrets>,
  logger: ReturnType<typeof createLogger>,
  running: Running,
): Promise<void> {
  const { appUrl, accounts } = await prepareDatabase(config, server, secrets.masterKeyHex);
  const appKnex = createKnex(appUrl, { poolMax: 10, applicationName: 'clinicpulse' });
  running.appKnex = appKnex;

  const clinic = createApp({
    appKnex,
    databaseKind: server.kind,
    logger,
    sessionSecret: secrets.sessionSecret,
    masterKeyHex: secrets.masterKeyHex,
    clientDir: path.resolve('dist/client'),
    // The admin URL's only use after start-up: a fixed VACUUM once an erasure has committed.
    maintenance: adminMaintenance(server.adminUrl),
    ...appOptionsFromConfig(config),
  });
  running.clinic = clinic;
  const httpServer: http.Server = config.TLS_CERT && config.TLS_KEY
    ? https.createServer({ cert: pem(config.TLS_CERT), key: pem(config.TLS_KEY) }, clinic.app)
    : http.createServer(clinic.app);
  answerClientErrors(httpServer);
  running.httpServer = httpServer;
  // Live push on the same server, cookie and origins as the API (docs/realtime.md).
  const realtime = await attachRealtime({
    httpServer,
    appKnex,
    appUrl,
    sessionSecret: secrets.sessionSecret,
    allowedOrigins: appOptionsFromConfig(config).allowedOrigins,
    retentionDays: config.OUTBOX_RETENTION_DAYS,
    logger,
  });
  running.realtime = realtime;
  watchLivePush(clinic, realtime, appKnex);
  registerBackupMetrics(clinic.metrics.registry, path.resolve(config.BACKUP_DIR));
  if (config.BACKUP_CRON) {
    const dir = path.resolve(config.BACKUP_DIR);
    const schedule = scheduleBackups(
      config.BACKUP_CRON,
      async () => {
        const r = await runBackup({ adminUrl: server.adminUrl, backupUrl: config.BACKUP_DATABASE_URL, outDir: dir });
        const pruned = pruneBackups(dir, config.BACKUP_KEEP_DAILY, config.BACKUP_KEEP_WEEKLY);
        logger.info({ file: path.basename(r.dumpFile), bytes: r.manifest.bytes, ms: r.ms, pruned: pruned.length }, 'scheduled backup done');
      },
      { done: () => {}, failed: (err) => logger.error({ err }, 'scheduled backup failed') },
    );
    running.backups = schedule;
    console.log(`Scheduled backups (${config.BACKUP_CRON}) into ${dir}; next at ${schedule.next().toISOString()}.`);
  }
  await listen(httpServer, config.PORT, config.HOST);
  if (config.METRICS_PORT !== undefined) {
    // Prometheus on a listener of its own (the monitoring network only); the main one has no /metrics.
    const metricsApp = express();
    metricsApp.disable('x-powered-by');
    metricsApp.get('/metrics', metricsHandler(clinic.metrics.registry, { token: config.METRICS_TOKEN, open: true }));
    const metricsServer = http.createServer(metricsApp);
    running.metricsServer = metricsServer;
    await listen(metricsServer, config.METRICS_PORT, config.METRICS_HOST);
    console.log(`Metrics at http://${config.METRICS_HOST}:${config.METRICS_PORT}/metrics${config.METRICS_TOKEN ? ' (bearer token)' : ''}`);
  }
  const scheme = config.TLS_CERT ? 'https' : 'http';
  console.log(`ClinicPulse is running at ${scheme}://${config.HOST}:${config.PORT}/  (API reference: /api/docs, health: /healthz)`);
  if (servesTls(config) && !config.TLS_CERT) console.log('TLS is terminated by a proxy (TLS_TERMINATED_BY_PROXY=true): session cookies are Secure.');
  printAccounts(accounts);
}

function listen(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

main().catch((err) => {
  if (err instanceof ConfigError || err instanceof DataDirectoryInUseError || err instanceof EmbeddedPlacementError || err instanceof MasterKeyError) console.error(err.message);
  else console.error('ClinicPulse failed to start:', err);
  process.exit(1);
});
