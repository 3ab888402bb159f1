/**
 * The service once its database server is up: migrations, the start-up checks (master
 * key, demo data, service logins), the app, live push and the listeners. Loaded by
 * server/main.ts while the embedded PostgreSQL starts, so loading these modules (express,
 * knex, socket.io, pino, prom-client...) overlaps the database's own start.
 */
import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';
import { servesTls, type Config } from './config.js';
import { prepareAppLogin, prepareAuditWriter, type DatabaseServer } from './db/connect.js';
import { createKnex } from './db/knex.js';
import { migrateLatest } from './db/migrate.js';
import { seedDemoIfEmpty } from '../seeds/demo.js';
import { activeDemoAccounts, createDemoAccounts, type DemoAccount } from '../seeds/demo-accounts.js';
import { appOptionsFromConfig, createApp, type ClinicPulseApp } from './app.js';
import { createLogger } from './http/observability.js';
import type { ServiceSecrets } from './secrets.js';
import { FieldCrypto } from './crypto/index.js';
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
import type { StartSteps } from './ops/start-steps.js';

const pem = (value: string) => (value.includes('-----BEGIN') ? value : readFileSync(value, 'utf8'));

function printAccounts(accounts: DemoAccount[]): void {
  if (!accounts.length) return;
  // The shared demo password is documented in README.md (Accounts); start-up output is often
  // collected into logs, so it names the accounts but never prints a password.
  console.log('Demo accounts (demo data only; the password is in README.md, section "Accounts"):');
  for (const a of accounts) console.log(`  ${a.username.padEnd(12)} ${a.role}${a.providerId ? ` (provider ${a.providerId})` : ''}`);
}

async function prepareDatabase(config: Config, server: DatabaseServer, masterKeyHex: string, steps: StartSteps): Promise<{ appUrl: string; accounts: DemoAccount[] }> {
  const admin: Knex = createKnex(server.adminUrl, { poolMax: 4, applicationName: 'clinicpulse-start' });
  try {
    const applied = await migrateLatest(admin);
    if (applied.length) console.log(`Applied ${applied.length} migration(s).`);
    steps.mark('migrations check');
    // Two independent sequences, concurrently (each is a few round trips and new logins):
    // the master key checks and then the demo data (which wraps patient keys, so only after
    // them), beside the service logins' passwords.
    const [keysAndDemo, logins] = await Promise.allSettled([
      (async () => {
        // An old key left in this process's environment after a rotation would wrap new keys wrongly.
        await assertMasterKeyNotRetired(admin, masterKeyHex);
        // Before anything can wrap a patient key: a wrong MASTER_KEY stops the start here, and only
        // this key's holder may store data keys from now on (server/db/repository/master-key.ts).
        if ((await startWithMasterKey(admin, new FieldCrypto(masterKeyHex))) === 'recorded') console.log('Recorded the master key id (first start with this key).');
        const demoAllowed = config.NODE_ENV !== 'production' && (config.DEMO_SEED || server.kind === 'embedded');
        if (!demoAllowed) return [];
        const seeded = await seedDemoIfEmpty(admin);
        if (!seeded) return activeDemoAccounts(admin);
        console.log(`Loaded the demo data: ${seeded.providers} providers, ${seeded.patients} patients, ${seeded.appointments} appointments.`);
        return createDemoAccounts(admin);
      })(),
      (async () => {
        const url = await prepareAppLogin(server.adminUrl, { dataDir: config.DATA_DIR, appDatabaseUrl: config.APP_DATABASE_URL });
        await prepareAuditWriter(server.adminUrl, { dataDir: config.DATA_DIR, password: config.AUDIT_WRITER_PASSWORD });
        return url;
      })(),
    ]);
    steps.mark('master key, demo data and service logins (concurrently)');
    // The key check's refusal first: it is the one that says what to do.
    if (keysAndDemo.status === 'rejected') throw keysAndDemo.reason;
    if (logins.status === 'rejected') throw logins.reason;
    const accounts: DemoAccount[] = keysAndDemo.value;
    const appUrl = logins.value;
    return { appUrl, accounts };
  } finally {
    await admin.destroy();
  }
}

export interface Running {
  appKnex?: Knex;
  clinic?: ClinicPulseApp;
  httpServer?: http.Server;
  metricsServer?: http.Server;
  realtime?: Realtime;
  backups?: { stop(): void };
}

export async function serve(
  config: Config,
  server: DatabaseServer,
  secrets: ServiceSecrets,
  running: Running,
  steps: StartSteps,
): Promise<void> {
  // Readable lines for a person at a terminal; JSON for production and for anything piped.
  const logger = createLogger(config.LOG_LEVEL, undefined, { pretty: config.NODE_ENV !== 'production' && Boolean(process.stdout.isTTY) });
  const { appUrl, accounts } = await prepareDatabase(config, server, secrets.masterKeyHex, steps);
  const appKnex = createKnex(appUrl, { poolMax: 10, applicationName: 'clinicpulse' });
  running.appKnex = appKnex;

  const appOptions = appOptionsFromConfig(config);
  const clinic = createApp({
    appKnex,
    databaseKind: server.kind,
    logger,
    sessionSecret: secrets.sessionSecret,
    masterKeyHex: secrets.masterKeyHex,
    clientDir: path.resolve('dist/client'),
    // The admin URL's only use after start-up: a fixed VACUUM once an erasure has committed.
    maintenance: adminMaintenance(server.adminUrl),
    ...appOptions,
  });
  running.clinic = clinic;
  steps.mark('app');
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
    allowedOrigins: appOptions.allowedOrigins,
    retentionDays: config.OUTBOX_RETENTION_DAYS,
    logger,
  });
  running.realtime = realtime;
  steps.mark('live push');
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
  steps.mark('listening');
  logger.debug({ steps: steps.steps, totalMs: steps.totalMs }, 'start steps');
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
