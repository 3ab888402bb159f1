/**
 * `npm start`: the database (embedded unless DATABASE_URL), migrations, the demo
 * seed on an empty database, then the HTTP server. Ctrl-C stops everything cleanly.
 */
import 'dotenv/config';
import http from 'node:http';
import { loadConfig, ConfigError } from './config.js';
import { openDatabaseServer } from './db/connect.js';
import { DataDirectoryInUseError } from './db/embedded.js';
import { createKnex } from './db/knex.js';
import { migrateLatest } from './db/migrate.js';
import { seedDemoIfEmpty } from '../seeds/demo.js';
import { createApp } from './app.js';

async function main(): Promise<void> {
  const config = loadConfig();
  console.log(config.DATABASE_URL ? 'Using the PostgreSQL at DATABASE_URL' : `Starting the embedded PostgreSQL 15 in ${config.DATA_DIR}/pg`);
  const server = await openDatabaseServer(config);
  const knex = createKnex(server.adminUrl, { poolMax: 10 });
  const httpServer = http.createServer();
  let listening = false;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: shutting down`);
    await new Promise<void>((resolve) => (listening ? httpServer.close(() => resolve()) : resolve()));
    await knex.destroy();
    await server.stop();
    console.log('Stopped.');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  const applied = await migrateLatest(knex);
  if (applied.length) console.log(`Applied ${applied.length} migration(s).`);
  const seedDemo = config.DEMO_SEED || (config.NODE_ENV !== 'production' && server.kind === 'embedded');
  if (seedDemo) {
    const seeded = await seedDemoIfEmpty(knex);
    if (seeded) console.log(`Loaded the demo data: ${seeded.providers} providers, ${seeded.patients} patients, ${seeded.appointments} appointments.`);
  }
  const app = createApp({ knex, databaseKind: server.kind });
  httpServer.on('request', app);
  await new Promise<void>((resolve) => httpServer.listen(config.PORT, config.HOST, resolve));
  listening = true;
  console.log(`ClinicPulse is running at http://${config.HOST}:${config.PORT}/  (health: /healthz)`);
}

main().catch((err) => {
  if (err instanceof ConfigError || err instanceof DataDirectoryInUseError) console.error(err.message);
  else console.error('ClinicPulse failed to start:', err);
  process.exit(1);
});
