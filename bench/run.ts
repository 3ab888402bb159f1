/**
 * `npm run bench`: a throwaway embedded PostgreSQL 15, migrated, filled by the volume
 * generator (BENCH_APPOINTMENTS, default 1,000,000; timed), then every section in
 * bench/sections/ in file-name order. Prints one table and rewrites the part of
 * docs/benchmarks.md between the bench markers (prose around them is kept).
 */
import 'dotenv/config';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { randomBytes } from 'node:crypto';
import { ensureDatabase, startEmbeddedPostgres } from '../server/db/embedded.js';
import { freeLoopbackPort } from '../server/db/free-port.js';
import { APP_LOGIN_ROLE, setAuditWriterPassword, setLoginPassword, withCredentials } from '../server/db/connect.js';
import { createKnex } from '../server/db/knex.js';
import { migrateLatest } from '../server/db/migrate.js';
import { generateVolume } from '../server/generate/index.js';
import type { BenchContext, BenchRow, BenchSection, GeneratorRun } from './context.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DOC = path.join(root, 'docs', 'benchmarks.md');
const BEGIN = '<!-- bench:begin -->';
const END = '<!-- bench:end -->';

const appointments = Number(process.env.BENCH_APPOINTMENTS ?? 1_000_000);
const seed = Number(process.env.BENCH_SEED ?? 1);
const lanes = Number(process.env.BENCH_LANES ?? 2);
// Development option: BENCH_DATA_DIR keeps the generated PostgreSQL data directory there (not a
// throwaway), and a later run with the same size and seed starts from it instead of generating
// again. Sections add rows (bookings, patients), so a reused dataset drifts: published tables
// come from a fresh run.
const dataDirOption = process.env.BENCH_DATA_DIR ? path.resolve(process.env.BENCH_DATA_DIR) : undefined;
const DATASET_MARKER = 'clinicpulse-bench-dataset.json';
if (!Number.isInteger(appointments) || appointments < 1) throw new Error('BENCH_APPOINTMENTS must be a positive integer');

// Bulk-load settings for a throwaway server: WAL may grow instead of forcing checkpoints
// (and full-page images) in the middle of the load. Durability settings stay as shipped.
const SERVER_SETTINGS = { max_wal_size: '8GB', checkpoint_timeout: '30min' };

interface SectionResult {
  title: string;
  rows: BenchRow[];
  error?: string;
}

function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : String(Math.round(v * 100) / 100);
}

function markdown(results: SectionResult[], machine: string[]): string {
  const lines = [...machine, '', '| Section | Metric | Value | Unit | Note |', '|---|---|---:|---|---|'];
  for (const s of results) {
    if (s.error) lines.push(`| ${s.title} | (failed) | | | ${s.error.replace(/\|/g, '\\|').split('\n')[0]} |`);
    for (const r of s.rows) {
      lines.push(`| ${s.title} | ${r.metric} | ${formatValue(r.value)} | ${r.unit} | ${(r.note ?? '').replace(/\|/g, '\\|')} |`);
    }
  }
  return lines.join('\n');
}

function printTable(results: SectionResult[]): void {
  const rows = results.flatMap((s) =>
    s.error ? [[s.title, 'FAILED', '', '', s.error.split('\n')[0]!]] : s.rows.map((r) => [s.title, r.metric, formatValue(r.value), r.unit, r.note ?? '']),
  );
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i]!.length), 6));
  console.log('');
  for (const r of rows) {
    console.log(`${r[0]!.padEnd(widths[0]!)}  ${r[1]!.padEnd(widths[1]!)}  ${r[2]!.padStart(widths[2]!)} ${r[3]!.padEnd(widths[3]!)}  ${r[4]}`);
  }
}

function writeDoc(block: string): void {
  const intro = [
    '# Benchmarks',
    '',
    'Measured by `npm run bench` (bench/run.ts): a throwaway embedded PostgreSQL 15 is migrated, filled by the',
    'volume generator (`npm run generate`, 1,000,000 appointments with patients, visits, diagnoses and',
    'prescriptions in proportion, every constraint and trigger enabled), then each section in bench/sections/',
    'runs against that dataset. The table between the markers is rewritten by every run; edit around it.',
    '',
  ].join('\n');
  const generated = `${BEGIN}\n${block}\n${END}`;
  let doc = existsSync(DOC) ? readFileSync(DOC, 'utf8') : `${intro}\n${BEGIN}\n${END}\n`;
  if (!doc.includes(BEGIN) || !doc.includes(END)) doc = `${doc.trimEnd()}\n\n${BEGIN}\n${END}\n`;
  doc = doc.slice(0, doc.indexOf(BEGIN)) + generated + doc.slice(doc.indexOf(END) + END.length);
  writeFileSync(DOC, doc);
}

/** What a kept data directory holds (BENCH_DATA_DIR), written once its dataset is complete. */
interface DatasetMarker {
  appointments: number;
  seed: number;
  lanes: number;
  generatedAt: string;
  generator: GeneratorRun;
}

function readMarker(dir: string): DatasetMarker | undefined {
  const file = path.join(dir, DATASET_MARKER);
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as DatasetMarker;
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'clinicpulse-bench-'));
  // PostgreSQL runs as the unprivileged postgres user when we are root; it must reach its directory.
  chmodSync(workDir, 0o755);
  const port = await freeLoopbackPort();
  const loadAtStart = os.loadavg();
  let reuse: DatasetMarker | undefined;
  let pgDir = path.join(workDir, 'pg');
  if (dataDirOption) {
    mkdirSync(dataDirOption, { recursive: true });
    chmodSync(dataDirOption, 0o755);
    pgDir = path.join(dataDirOption, 'pg');
    const marker = readMarker(dataDirOption);
    if (marker && marker.appointments === appointments && marker.seed === seed && existsSync(pgDir)) {
      reuse = marker;
    } else if (existsSync(pgDir)) {
      // A different size or seed, or a generation that never finished: start over.
      console.log(`BENCH_DATA_DIR ${dataDirOption} holds ${marker ? `${marker.appointments.toLocaleString('en-US')} appointments, seed ${marker.seed}` : 'no complete dataset'}: generating afresh.`);
      rmSync(pgDir, { recursive: true, force: true });
      rmSync(path.join(dataDirOption, DATASET_MARKER), { force: true });
    }
  }
  console.log(
    dataDirOption
      ? `Starting PostgreSQL on the kept data directory ${pgDir} (port ${port})...`
      : `Starting a throwaway PostgreSQL in ${workDir} (port ${port})...`,
  );
  const server = await startEmbeddedPostgres({ dataDir: pgDir, port, persistent: dataDirOption !== undefined, settings: SERVER_SETTINGS });
  const db = 'clinicpulse_bench';
  let knex: ReturnType<typeof createKnex> | undefined;
  try {
    await ensureDatabase(server.adminUrl, db);
    const adminUrl = server.urlFor(db);
    knex = createKnex(adminUrl, { poolMax: 8, applicationName: 'clinicpulse-bench' });
    await migrateLatest(knex);
    const password = randomBytes(18).toString('base64url');
    await setLoginPassword(adminUrl, APP_LOGIN_ROLE, password);
    const appUrl = withCredentials(adminUrl, APP_LOGIN_ROLE, password);
    // Audited reads go through the autonomous writer (migration 20261206000100): give it a login.
    const auditWriterPassword = randomBytes(18).toString('base64url');
    await setAuditWriterPassword(adminUrl, auditWriterPassword);
    const { rows: versionRows } = await knex.raw('SHOW server_version');
    const pgVersion = String(versionRows[0].server_version);

    let generator: GeneratorRun;
    if (reuse) {
      generator = reuse.generator;
      console.log(
        `Reusing the dataset in BENCH_DATA_DIR ${dataDirOption} (${reuse.appointments.toLocaleString('en-US')} appointments, seed ${reuse.seed}, ` +
          `generated ${reuse.generatedAt}): generation skipped. Earlier runs' sections may have added rows; publish from a fresh run.`,
      );
    } else {
      console.log(`Generating ${appointments.toLocaleString('en-US')} appointments (seed ${seed}, ${lanes} lanes)...`);
      const result = await generateVolume(knex, { appointments, seed, lanes, log: (l) => console.log(`  ${l}`) });
      console.log(`  done in ${(result.ms / 1000).toFixed(1)} s`);
      for (const [phase, ms] of Object.entries(result.timings)) console.log(`    ${phase.padEnd(52)} ${(ms / 1000).toFixed(1).padStart(6)} s`);
      for (const [phase, ms] of Object.entries(result.cpu)) console.log(`    CPU ${phase.padEnd(48)} ${(ms / 1000).toFixed(1).padStart(6)} s`);
      generator = { ms: result.ms, counts: result.counts, timings: result.timings, cpu: result.cpu, lanes, seed };
      if (dataDirOption) {
        // Flush the load to disk before declaring the dataset complete.
        await knex.raw('CHECKPOINT');
        const marker: DatasetMarker = { appointments, seed, lanes, generatedAt: new Date().toISOString(), generator };
        writeFileSync(path.join(dataDirOption, DATASET_MARKER), `${JSON.stringify(marker, null, 2)}\n`);
        console.log(`  kept in BENCH_DATA_DIR ${dataDirOption}; a run with the same BENCH_APPOINTMENTS and BENCH_SEED starts from it.`);
      }
    }
    const loadAfterGenerate = os.loadavg();

    const ctx: BenchContext = {
      adminUrl,
      appUrl,
      auditWriterPassword,
      knex,
      appointments: generator.counts.appointments,
      workDir,
      generator,
    };

    const dir = path.join(root, 'bench', 'sections');
    // BENCH_SECTIONS=60 (comma-separated file-name prefixes) runs only those sections and leaves
    // docs/benchmarks.md alone, since its table would lose the other sections' rows.
    const only = process.env.BENCH_SECTIONS?.split(',').map((x) => x.trim()).filter(Boolean);
    const files = readdirSync(dir).filter((f) => f.endsWith('.ts') && (!only || only.some((o) => f.startsWith(o)))).sort();
    const results: SectionResult[] = [];
    for (const file of files) {
      const mod = (await import(pathToFileURL(path.join(dir, file)).href)) as { default?: BenchSection };
      const section = mod.default;
      if (!section) continue;
      console.log(`Running ${file}: ${section.title}...`);
      try {
        results.push({ title: section.title, rows: await section.run(ctx) });
      } catch (err) {
        console.error(`  ${file} failed:`, err);
        results.push({ title: section.title, rows: [], error: (err as Error).message ?? String(err) });
      }
    }
    const loadAtEnd = os.loadavg();
    printTable(results);

    const cpus = os.cpus();
    // Only the load before the run started says something about the neighbours: the
    // generator itself keeps two backends and this process busy.
    const busy = loadAtStart[0]! > cpus.length * 0.5;
    const machine = [
      `Run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${cpus.length} cores (${cpus[0]?.model.trim() ?? 'unknown CPU'}),`,
      `${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, PostgreSQL ${pgVersion} (embedded, ${reuse ? `reused dataset from BENCH_DATA_DIR, generated ${reuse.generatedAt}` : 'throwaway'}; ${Object.entries(SERVER_SETTINGS).map(([k, v]) => `${k}=${v}`).join(', ')}),`,
      `Node ${process.version}; ${appointments.toLocaleString('en-US')} appointments, seed ${seed}, ${lanes} COPY lanes.`,
      `Load average (1 min) at start / after generating / at end: ${[loadAtStart, loadAfterGenerate, loadAtEnd].map((l) => l[0]!.toFixed(1)).join(' / ')}` +
        (busy ? ' — other work was running on this machine, so these numbers are pessimistic.' : '.'),
    ];
    if (only || reuse) {
      // A reused dataset has drifted (earlier sections added rows): only a fresh run is published.
      const why = only ? 'BENCH_SECTIONS set' : 'dataset reused from BENCH_DATA_DIR';
      console.log(`\n${machine.join('\n')}\n(${why}: ${path.relative(root, DOC)} left unchanged.)`);
    } else {
      writeDoc(markdown(results, machine));
      console.log(`\nWrote ${path.relative(root, DOC)}.`);
    }
  } finally {
    await knex?.destroy();
    await server.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error('Benchmark failed:', err);
  process.exit(1);
});
