/**
 * Starting and stopping as an operator does it: `node scripts/start.mjs` (what `npm start`
 * runs) with the embedded PostgreSQL in a data directory of its own. The first start makes
 * the data directory (initdb, migrations, the demo clinic; a build if the build is stale)
 * and is reported but not the target; then the service is started on that existing data
 * several times, each timed from spawn to "ClinicPulse is running" and to /readyz 200, with
 * the embedded PostgreSQL's own start (timed alone on the same data) and SIGINT → exit. Target: a second start under 3 s.
 * A bare `node -e 0` spawn is timed in the same run, so a loaded host shows as a ratio.
 * Independent of the generated dataset (the service gets its own small demo database).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { openDatabaseServer } from '../../server/db/connect.js';
import { freeLoopbackPort } from '../../server/db/free-port.js';
import { percentile, type BenchContext, type BenchRow, type BenchSection } from '../context.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const REPEATS = 3;
const TARGET_MS = 3000;

interface StartRun {
  /** Spawn → "ClinicPulse is running". */
  runningMs: number;
  /** Spawn → the first line printed (Node, start.mjs's build check, the compiled modules loaded). */
  firstLineMs: number;
  /** Spawn → first 200 from /readyz. */
  readyMs: number;
  /** CPU (user + system) the service's Node process used up to "running": what a busy host cannot inflate much. */
  cpuMs: number;
  /** SIGINT → exit. */
  stopMs: number;
  exitCode: number | null;
  rebuilt: boolean;
  /** The service's own per-step wall times (ms), from its debug "start steps" line (server/ops/start-steps.ts). */
  steps: Record<string, number>;
}

async function startOnce(dataDir: string, port: number, pgPort: number): Promise<StartRun> {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'development', DATA_DIR: dataDir, PORT: String(port), EMBEDDED_PG_PORT: String(pgPort), LOG_LEVEL: 'debug' };
  // The embedded database, the generated secrets and the service login all come from DATA_DIR.
  for (const k of ['DATABASE_URL', 'APP_DATABASE_URL', 'MASTER_KEY', 'SESSION_SECRET', 'AUDIT_WRITER_PASSWORD', 'BACKUP_CRON', 'METRICS_PORT']) delete env[k];
  const started = performance.now();
  const child = spawn(process.execPath, ['scripts/start.mjs'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: { at: number; text: string }[] = [];
  let out = '';
  const onData = (d: Buffer) => {
    out += String(d);
    for (const text of String(d).split('\n').filter(Boolean)) lines.push({ at: performance.now() - started, text });
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 300_000;
  while (!out.includes('ClinicPulse is running') && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  const running = lines.find((l) => l.text.includes('ClinicPulse is running'));
  if (!running) {
    child.kill('SIGKILL');
    throw new Error(`the service did not start:\n${out.slice(-2000)}`);
  }
  let readyMs = NaN;
  while (Date.now() < deadline) {
    const status = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.status, () => 0);
    if (status === 200) {
      readyMs = performance.now() - started;
      break;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  const cpuMs = cpuOf(child.pid!);
  const stopAt = performance.now();
  child.kill('SIGINT');
  const exitCode = await exited;
  return { runningMs: running.at, firstLineMs: lines[0]?.at ?? NaN, readyMs, cpuMs, stopMs: performance.now() - stopAt, exitCode, rebuilt: /building/i.test(out), steps: startSteps(lines) };
}

/** The steps from the service's debug line `{"msg":"start steps","steps":{...}}` (JSON: the output is not a terminal). */
function startSteps(lines: { text: string }[]): Record<string, number> {
  for (const { text } of lines) {
    if (!text.includes('"start steps"')) continue;
    try {
      return (JSON.parse(text) as { steps?: Record<string, number> }).steps ?? {};
    } catch {
      return {};
    }
  }
  return {};
}

/** utime + stime of a process so far, from /proc (Linux; NaN elsewhere). */
function cpuOf(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // Fields 14 and 15 of /proc/PID/stat, counted after "pid (comm)": clock ticks, 100 per second on Linux.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return NaN;
  }
}

/** The embedded PostgreSQL alone on the same data directory, as the service opens it: start, then stop. */
async function postgresStartMs(dataDir: string, pgPort: number): Promise<number> {
  const t = performance.now();
  const server = await openDatabaseServer({ DATA_DIR: dataDir, EMBEDDED_PG_PORT: pgPort, DATABASE_URL: undefined });
  const ms = performance.now() - t;
  await server.stop();
  return ms;
}

async function bareNodeMs(): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    await new Promise<void>((resolve, reject) => spawn(process.execPath, ['-e', '0']).on('exit', () => resolve()).on('error', reject));
    samples.push(performance.now() - t);
  }
  return percentile(samples, 50);
}

const section: BenchSection = {
  title: 'Start and stop (npm start, embedded database)',
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const dataDir = path.join(ctx.workDir, 'start-data');
    mkdirSync(dataDir, { recursive: true, mode: 0o755 });
    const port = await freeLoopbackPort();
    let pgPort = await freeLoopbackPort();
    while (pgPort === port) pgPort = await freeLoopbackPort();
    const first = await startOnce(dataDir, port, pgPort);
    const runs: StartRun[] = [];
    for (let i = 0; i < REPEATS; i++) runs.push(await startOnce(dataDir, port, pgPort));
    const node = await bareNodeMs();
    const pgSamples: number[] = [];
    for (let i = 0; i < REPEATS; i++) pgSamples.push(await postgresStartMs(dataDir, pgPort));
    const postgres = percentile(pgSamples, 50);
    const load = os.loadavg()[0]!;
    const med = (pick: (r: StartRun) => number) => percentile(runs.map(pick), 50);
    const running = med((r) => r.runningMs);
    const unclean = runs.filter((r) => r.exitCode !== 0).length;
    const rebuilt = runs.filter((r) => r.rebuilt).length;
    const checks = `${unclean ? `${unclean} exited non-zero; ` : ''}${rebuilt ? `${rebuilt} rebuilt; ` : ''}`;
    return [
      {
        metric: 'first start, empty data directory',
        value: first.runningMs,
        unit: 'ms',
        note: `initdb, migrations, demo clinic${first.rebuilt ? ', and a build (sources newer than the build)' : ''}; not the target`,
      },
      {
        metric: `second start, median of ${REPEATS}`,
        value: running,
        unit: 'ms',
        note: `${checks}spawn → "ClinicPulse is running"; ${(running / TARGET_MS).toFixed(2)} of the 3 s target; ${Math.round(running / node)}× a bare node spawn (${Math.round(node)} ms); load ${load.toFixed(1)}`,
      },
      { metric: `second start, slowest of ${REPEATS}`, value: Math.max(...runs.map((r) => r.runningMs)), unit: 'ms', note: `${(Math.max(...runs.map((r) => r.runningMs)) / TARGET_MS).toFixed(2)} of the target` },
      { metric: 'second start to its first line, median', value: med((r) => r.firstLineMs), unit: 'ms', note: 'Node, the build check and loading the compiled server' },
      { metric: 'second start, CPU of the Node process, median', value: med((r) => r.cpuMs), unit: 'ms', note: 'user + system up to "running" (the embedded PostgreSQL not included); barely moved by other load' },
      { metric: 'second start to /readyz 200, median', value: med((r) => r.readyMs), unit: 'ms', note: 'database and live-push listener up' },
      { metric: 'embedded PostgreSQL start alone, median', value: postgres, unit: 'ms', note: `same data directory; ${((postgres / running) * 100).toFixed(0)} % of the second start` },
      { metric: 'stop (SIGINT → exit), median', value: med((r) => r.stopMs), unit: 'ms', note: 'sockets, requests in flight, listener, pool, embedded PostgreSQL' },
      // Where a second start's time goes, step by step, as the service itself timed it (same runs).
      ...Object.keys(runs[0]?.steps ?? {}).map((step) => ({
        metric: `second start step: ${step}, median`,
        value: med((r) => r.steps[step] ?? NaN),
        unit: 'ms',
        note: step.startsWith('node') ? 'process start to the entry module evaluated (Node, start.mjs, the entry chunk: config, pg)' : 'wall time since the previous step',
      })),
    ];
  },
};

export default section;
