/**
 * `npm start`: the database (embedded unless DATABASE_URL), migrations, the demo
 * seed and demo accounts on an empty database (never in production), then the
 * HTTP(S) server. SIGINT/SIGTERM: stop accepting, let in-flight requests finish,
 * close the pool, stop the embedded database.
 *
 * Only what starting the database needs is loaded before it starts; the rest of the
 * service (server/serve.ts) loads while the embedded PostgreSQL starts.
 *
 * The admin URL is used at start-up (migrate, seed, set the service login's
 * password, register the master key) and, afterwards, only for one fixed VACUUM
 * after an erasure (server/db/maintenance.ts); requests use the clinicpulse_app
 * login, which owns nothing.
 */
import { MasterKeyError } from './crypto/errors.js';
import 'dotenv/config';
import { loadConfig, ConfigError } from './config.js';
import { openDatabaseServer } from './db/connect.js';
import { DataDirectoryInUseError, EmbeddedPlacementError } from './db/embedded.js';
import { loadSecrets } from './secrets.js';
import { StartSteps } from './ops/start-steps.js';
import type { Running } from './serve.js';

const steps = new StartSteps();
steps.mark('node and entry modules');

async function main(): Promise<void> {
  const config = loadConfig();
  const secrets = loadSecrets(config, (line) => console.log(line));
  console.log(config.DATABASE_URL ? 'Using the PostgreSQL at DATABASE_URL' : `Starting the embedded PostgreSQL 15 in ${config.DATA_DIR}/pg`);
  steps.mark('config and secrets');
  const opening = openDatabaseServer(config);
  // The rest of the service loads while PostgreSQL starts (a second or more of modules).
  const loading = import('./serve.js');
  loading.catch(() => {});
  const server = await opening;
  steps.mark('embedded PostgreSQL (service modules loading meanwhile)');
  let service: typeof import('./serve.js');
  try {
    service = await loading;
  } catch (err) {
    await server.stop();
    throw err;
  }
  steps.mark('rest of the service modules');

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
    await service.serve(config, server, secrets, running, steps);
  } catch (err) {
    // Do not leave the embedded PostgreSQL running behind a failed start (e.g. port in use).
    await running.realtime?.close();
    running.clinic?.close();
    await running.appKnex?.destroy();
    await server.stop();
    throw err;
  }
}

main().catch((err) => {
  const refusal = err instanceof ConfigError || err instanceof DataDirectoryInUseError || err instanceof EmbeddedPlacementError || err instanceof MasterKeyError;
  if (refusal) console.error((err as Error).message);
  else console.error('ClinicPulse failed to start:', err);
  process.exit(1);
});
