/**
 * `npm run generate -- --appointments N --seed S [--database-url URL] [--lanes K]`:
 * append a synthetic clinic of N appointments (with providers, patients, visits,
 * diagnoses and prescriptions in proportion) through COPY, every constraint and
 * trigger enabled. Uses --database-url, else DATABASE_URL, else the embedded database.
 */
import 'dotenv/config';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config.js';
import { DataDirectoryInUseError, EmbeddedPlacementError } from '../db/embedded.js';
import { migrateLatest } from '../db/migrate.js';
import { generateVolume } from '../generate/index.js';
import { withAdminDatabase } from './admin-database.js';
import { runCli } from './exit.js';

const usage = 'usage: npm run generate -- --appointments N [--seed S] [--database-url URL] [--lanes K]';

const { values } = parseArgs({
  options: {
    appointments: { type: 'string', short: 'n' },
    seed: { type: 'string', short: 's', default: '1' },
    'database-url': { type: 'string' },
    lanes: { type: 'string', default: '2' },
    help: { type: 'boolean', short: 'h' },
  },
  strict: true,
});

if (values.help) {
  console.log(usage);
  process.exit(0);
}
const appointments = Number(String(values.appointments ?? '').replace(/_/g, ''));
const lanes = Number(values.lanes);
if (!Number.isInteger(appointments) || appointments < 1 || !Number.isInteger(lanes) || lanes < 1 || lanes > 8) {
  console.error(usage);
  process.exit(2);
}
const seed = /^\d+$/.test(values.seed) ? Number(values.seed) : values.seed;

async function main(): Promise<number> {
  const config = loadConfig(values['database-url'] ? { ...process.env, DATABASE_URL: values['database-url'] } : process.env);
  await withAdminDatabase(config, { name: 'generate', poolMax: lanes + 1, say: (line) => console.log(line) }, async (knex) => {
    const applied = await migrateLatest(knex);
    if (applied.length) console.log(`Applied ${applied.length} migration(s).`);
    console.log(`Generating ${appointments.toLocaleString('en-US')} appointments (seed ${seed}, ${lanes} lane(s))...`);
    const result = await generateVolume(knex, { appointments, seed, lanes, log: (line) => console.log(`  ${line}`) });
    // A plain record (RowCounts is an interface): Object.values/entries then see numbers, not any.
    const counts: Record<string, number> = { ...result.counts };
    const rows = Object.values(counts).reduce((a, b) => a + b, 0);
    for (const [table, n] of Object.entries(counts)) console.log(`  ${table.padEnd(14)} ${n.toLocaleString('en-US').padStart(12)}`);
    for (const [phase, ms] of Object.entries(result.timings)) console.log(`  ${phase.padEnd(52)} ${(ms / 1000).toFixed(1).padStart(7)} s`);
    for (const [phase, ms] of Object.entries(result.cpu)) console.log(`  CPU ${phase.padEnd(48)} ${(ms / 1000).toFixed(1).padStart(7)} s`);
    const s = result.ms / 1000;
    console.log(
      `Done in ${s.toFixed(1)} s: ${Math.round(rows / s).toLocaleString('en-US')} rows/s, ` +
        `${Math.round(result.counts.appointments / s).toLocaleString('en-US')} appointments/s.`,
    );
  });
  return 0;
}

runCli(main, { known: [ConfigError, DataDirectoryInUseError, EmbeddedPlacementError], failed: 'Generation failed' });
