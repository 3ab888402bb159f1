/**
 * `npm run soak -- --minutes N [--sockets 500] [--clients 8]`: a mixed load on the real
 * server for N minutes. A throwaway embedded PostgreSQL with the demo clinic; the
 * compiled service (`npm start`'s dist/server/main.js) as its own process; 500 live
 * sockets signed in as the front desk, each watching a provider's day; HTTP clients
 * booking, moving, checking in, reading schedules and searching patients. Reports
 * p50/p95/p99 per operation, errors, refusals, events pushed, and the server's RSS and
 * event-loop lag over time; rewrites the soak part of docs/benchmarks.md.
 * Targets: 0 errors, p99 flat after warm-up, RSS growth under 10 %.
 *
 * Flatness on a shared host: each one-minute window also records the host's load average,
 * its CPU steal, and the latency of a trivial `SELECT 1` sent from this process to the same
 * PostgreSQL every 250 ms (a same-run baseline that slows down with the host, not with the
 * service). The report gives p99 per window beside them, and the late/early ratio of p99 both
 * raw and divided by the probe's p99: a service that degrades shows in the second even when
 * the neighbours' load moves the first.
 */
import 'dotenv/config';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pgClient from 'pg';
import { io as connectClient, type Socket } from 'socket.io-client';
import { ensureDatabase, startEmbeddedPostgres } from '../server/db/embedded.js';
import { APP_LOGIN_ROLE, setLoginPassword, withCredentials } from '../server/db/connect.js';
import { createKnex } from '../server/db/knex.js';
import { migrateLatest } from '../server/db/migrate.js';
import { seedDemoIfEmpty } from '../seeds/demo.js';
import { createDemoAccounts, DEMO_PASSWORD } from '../seeds/demo-accounts.js';
import { morningZone } from '../test/support/morning-zone.js';

const { values } = parseArgs({
  options: { minutes: { type: 'string', default: '10' }, sockets: { type: 'string', default: '500' }, clients: { type: 'string', default: '8' } },
  strict: true,
});
const minutes = Number(values.minutes);
const socketCount = Number(values.sockets);
const clients = Number(values.clients);
if (!(minutes > 0) || !Number.isInteger(socketCount) || !Number.isInteger(clients) || clients < 1) {
  console.error('usage: npm run soak -- --minutes N [--sockets 500] [--clients 8]');
  process.exit(2);
}
/** The clinic's time zone for the run: where it is mid-morning now, so check-ins run at any hour, with every desk rule on. */
const TZ = morningZone();
const DOC = path.resolve('docs/benchmarks.md');
const BEGIN = '<!-- soak:begin -->';
const END = '<!-- soak:end -->';

const localDate = (d: Date) => new Intl.DateTimeFormat('en-CA', { timeZone: TZ }).format(d);
const offsetOf = (day: string) => {
  const name = new Intl.DateTimeFormat('en-US', { timeZone: TZ, timeZoneName: 'longOffset' }).formatToParts(new Date(`${day}T12:00:00Z`)).find((p) => p.type === 'timeZoneName')!.value;
  return name === 'GMT' ? '+00:00' : name.replace('GMT', '');
};
const addDays = (day: string, n: number) => new Date(Date.parse(`${day}T12:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
const at = (day: string, minute: number) => `${day}T${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}:00${offsetOf(day)}`;
const rnd = (n: number) => Math.floor(Math.random() * n);
const pct = (xs: number[], p: number) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const round = (x: number) => Math.round(x * 10) / 10;

interface Op {
  name: string;
  ms: number[];
  errors: number;
  refused: number;
}
const ops = new Map<string, Op>();
const op = (name: string) => ops.get(name) ?? (ops.set(name, { name, ms: [], errors: 0, refused: 0 }), ops.get(name)!);
const perMinuteP99: number[][] = [];
/** Per window: the SELECT 1 probe's round trips (ms), and host load and CPU steal at its end. */
const perMinuteProbe: number[][] = [];
const perMinuteHost: { load: number; stealPct: number }[] = [];
/** Total and steal jiffies over all CPUs (/proc/stat), for steal % between two readings. */
const cpuTimes = (): { total: number; steal: number } => {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    return { total: f.slice(0, 8).reduce((a, b) => a + b, 0), steal: f[7] ?? 0 };
  } catch {
    return { total: 0, steal: 0 };
  }
};
/** Sums of the products of two equally long series' deviations from their means. */
const deviations = (xs: number[], ys: number[]) => {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
    syy += (ys[i]! - my) ** 2;
  }
  return { sxy, sxx, syy };
};
/** Pearson correlation of two equally long series (NaN when undefined). */
const correlation = (xs: number[], ys: number[]) => {
  const { sxy, sxx, syy } = deviations(xs, ys);
  return sxy / Math.sqrt(sxx * syy);
};
/** Least-squares slope of ys against xs (0 when undefined). */
const slope = (xs: number[], ys: number[]) => {
  const { sxy, sxx } = deviations(xs, ys);
  return sxx > 0 ? sxy / sxx : 0;
};
const median = (xs: number[]) => pct(xs, 50);
const errorSamples: string[] = [];

/**
 * p99 per one-minute window beside the host's state, and flatness as ratios: the later half of
 * the windows after warm-up (the first minute) against the earlier half, raw and divided by the
 * SELECT 1 probe's p99 of the same window. A partial last window (under 20 s of requests) is left out.
 */
function windowReport(): string[] {
  const windows = perMinuteP99.map((xs, i) => ({
    minute: i + 1,
    requests: xs.length,
    p99: pct(xs, 99),
    probeP50: median(perMinuteProbe[i] ?? []),
    probeP99: pct(perMinuteProbe[i] ?? [], 99),
    load: perMinuteHost[i]?.load ?? NaN,
    stealPct: perMinuteHost[i]?.stealPct ?? NaN,
  }));
  const full = windows.filter((w, i) => i < windows.length - 1 || w.requests >= (windows[0]?.requests ?? 0) / 3);
  const out = [
    'p99 per one-minute window, beside the host (load average at the window\'s end, CPU steal during it) and a same-run',
    'baseline (`SELECT 1` from the soak process to the same PostgreSQL every 250 ms):',
    '',
    '| minute | requests | p99 ms | SELECT 1 p50 ms | SELECT 1 p99 ms | p99 ÷ SELECT 1 p99 | load (1 min) | steal % |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...full.map((w) => `| ${w.minute} | ${w.requests} | ${round(w.p99)} | ${round(w.probeP50)} | ${round(w.probeP99)} | ${round(w.p99 / w.probeP99)} | ${round(w.load)} | ${round(w.stealPct)} |`),
  ];
  const warm = full.slice(1);
  if (warm.length >= 2) {
    const half = Math.floor(warm.length / 2);
    const early = warm.slice(0, half);
    const late = warm.slice(warm.length - half);
    const ratio = (pick: (w: (typeof warm)[number]) => number) => median(late.map(pick)) / median(early.map(pick));
    out.push(
      '',
      `Flatness after warm-up (median of the last ${half} windows ÷ median of the first ${half}): p99 ${ratio((w) => w.p99).toFixed(2)} raw, ` +
        `${ratio((w) => w.p99 / w.probeP99).toFixed(2)} divided by the SELECT 1 probe's p99; the host's load moved ${ratio((w) => w.load).toFixed(2)}×. ` +
        `Correlation of the window p99 with the load: ${correlation(warm.map((w) => w.p99), warm.map((w) => w.load)).toFixed(2)}, ` +
        `with the probe's p99: ${correlation(warm.map((w) => w.p99), warm.map((w) => w.probeP99)).toFixed(2)}. ` +
        'Near 1.00 is flat; a service that degrades over time shows as a rising ratio even when the host does not.',
    );
  }
  return out;
}

async function main(): Promise<void> {
  const work = mkdtempSync(path.join(os.tmpdir(), 'clinicpulse-soak-'));
  chmodSync(work, 0o755);
  const pgPort = 57000 + rnd(2000);
  const port = 47000 + rnd(2000);
  console.log(`Soak: ${minutes} min, ${socketCount} sockets, ${clients} HTTP clients. Throwaway PostgreSQL in ${work}.`);
  const pg = await startEmbeddedPostgres({ dataDir: path.join(work, 'pg'), port: pgPort, persistent: false });
  let server: ReturnType<typeof spawn> | undefined;
  const sockets: Socket[] = [];
  try {
    await ensureDatabase(pg.adminUrl, 'clinicpulse');
    const adminUrl = pg.urlFor('clinicpulse');
    const admin = createKnex(adminUrl, { poolMax: 4 });
    await migrateLatest(admin);
    // Before the demo data, which is laid out in the clinic's zone (working hours, today's list).
    await admin.raw('UPDATE clinic_settings SET time_zone = ?', [TZ]);
    const seeded = await seedDemoIfEmpty(admin);
    await createDemoAccounts(admin);
    const { rows: names } = await admin.raw<{ rows: { name: string }[] }>("SELECT DISTINCT split_part(name, ' ', 2) AS name FROM patients WHERE erased_at IS NULL LIMIT 300");
    const prefixes = names.map((r) => r.name.slice(0, 3)).filter((p) => p.length === 3);
    // Who works today (clinic-local weekday), and when: the check-in mix books inside those hours.
    const isoWeekday = ((new Date(`${localDate(new Date())}T12:00:00Z`).getUTCDay() + 6) % 7) + 1;
    const { rows: hours } = await admin.raw<{ rows: { provider_id: number; starts: number; ends: number }[] }>(
      `SELECT provider_id, extract(epoch FROM starts_at)::int / 60 AS starts, extract(epoch FROM ends_at)::int / 60 AS ends
         FROM provider_working_hours WHERE iso_weekday = ?`,
      [isoWeekday],
    );
    await admin.destroy();
    console.log(`Demo data: ${seeded?.appointments} appointments. Clinic time zone for the run: ${TZ} (now ${new Date().toLocaleTimeString('en-GB', { timeZone: TZ })} there); ${hours.length} providers work today.`);
    const appPassword = randomBytes(18).toString('base64url');
    await setLoginPassword(adminUrl, APP_LOGIN_ROLE, appPassword);
    const metricsToken = randomBytes(18).toString('hex');
    const origin = `http://127.0.0.1:${port}`;
    server = spawn(process.execPath, ['scripts/start.mjs'], {
      env: {
        ...process.env,
        NODE_ENV: 'development',
        DATABASE_URL: adminUrl,
        APP_DATABASE_URL: withCredentials(adminUrl, APP_LOGIN_ROLE, appPassword),
        MASTER_KEY: randomBytes(32).toString('hex'),
        SESSION_SECRET: randomBytes(32).toString('hex'),
        METRICS_TOKEN: metricsToken,
        DATA_DIR: path.join(work, 'service'),
        PORT: String(port),
        LOG_LEVEL: 'warn',
        LOGIN_RATE_LIMIT: '1000',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let serverOut = '';
    server.stdout!.on('data', (d) => (serverOut += d));
    server.stderr!.on('data', (d) => (serverOut += d));
    const deadline0 = Date.now() + 180_000;
    while (!serverOut.includes('ClinicPulse is running') && Date.now() < deadline0 && server.exitCode === null) await new Promise((r) => setTimeout(r, 200));
    if (!serverOut.includes('ClinicPulse is running')) throw new Error(`the service did not start:\n${serverOut}`);
    const pid = server.pid!;

    // Sessions: a few front-desk sign-ins shared by the clients and sockets.
    const cookies: string[] = [];
    for (let i = 0; i < Math.max(4, clients); i++) {
      const res = await fetch(`${origin}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'frontdesk', password: DEMO_PASSWORD }) });
      const set = res.headers.getSetCookie().find((c) => c.startsWith('clinicpulse.sid='));
      if (res.status !== 200 || !set) throw new Error(`sign-in failed: ${res.status}`);
      cookies.push(set.split(';')[0]!);
    }
    const today = localDate(new Date());
    let pushed = 0;
    // Opened 50 at a time, as a clinic's screens come online, not all in one instant.
    const openOne = (i: number) =>
      new Promise<void>((resolve, reject) => {
        const s = connectClient(origin, { transports: ['websocket'], extraHeaders: { cookie: cookies[i % cookies.length]!, origin }, forceNew: true, reconnection: true });
        s.on('schedule:changed', () => pushed++);
        sockets.push(s);
        const timer = setTimeout(() => reject(new Error(`socket ${i} did not connect within 60 s`)), 60_000);
        s.once('connect', () => {
          clearTimeout(timer);
          void s
            .timeout(30_000)
            .emitWithAck('schedule:watch', { providerId: 1 + (i % 20), date: addDays(today, i % 4) })
            .then(() => resolve(), reject);
        });
        // A refused handshake is retried by the client's own reconnection; count it.
        s.on('connect_error', () => handshakeRetries++);
      });
    let handshakeRetries = 0;
    for (let i = 0; i < socketCount; i += 50) {
      await Promise.all(Array.from({ length: Math.min(50, socketCount - i) }, (_, k) => openOne(i + k)));
    }
    console.log(`${sockets.length} sockets connected and watching (${handshakeRetries} handshake retries).`);

    const call = async (name: string, method: string, url: string, body: unknown, cookie: string) => {
      const started = performance.now();
      try {
        const res = await fetch(origin + url, {
          method,
          headers: { cookie, ...(body === undefined ? {} : { 'content-type': 'application/json', origin }) },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        const text = await res.text();
        const o = op(name);
        o.ms.push(performance.now() - started);
        minuteBucket().push(performance.now() - started);
        if (res.status >= 500) {
          o.errors++;
          if (errorSamples.length < 10) errorSamples.push(`${name} ${res.status} ${text.slice(0, 200)}`);
        } else if (res.status >= 400) o.refused++;
        return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
      } catch (err) {
        op(name).errors++;
        if (errorSamples.length < 10) errorSamples.push(`${name} ${(err as Error).message}`);
        return { status: 0, body: {} };
      }
    };
    const started = Date.now();
    const minuteBucket = () => {
      const m = Math.floor((Date.now() - started) / 60_000);
      while (perMinuteP99.length <= m) perMinuteP99.push([]);
      return perMinuteP99[m]!;
    };
    const booked: number[] = [];
    const slot = () => at(addDays(today, 1 + rnd(20)), 8 * 60 + 15 * rnd(34));
    const worker = async (w: number, until: number) => {
      const cookie = cookies[w % cookies.length]!;
      while (Date.now() < until) {
        const r = Math.random();
        if (r < 0.3) {
          const res = await call('book', 'POST', '/api/appointments', { patientId: 1 + rnd(2000), providerId: 1 + rnd(20), scheduledAt: slot(), durationMin: 15 }, cookie);
          if (res.status === 201) booked.push(res.body.id as number);
        } else if (r < 0.45 && booked.length) {
          await call('move', 'PATCH', `/api/appointments/${booked[rnd(booked.length)]}`, { scheduledAt: slot() }, cookie);
        } else if (r < 0.55) {
          // Check-in happens on the appointment's clinic day: book later today, inside the
          // provider's working hours, then check in.
          const nowLocal = new Date().toLocaleTimeString('en-GB', { timeZone: TZ, hour12: false }).split(':').map(Number);
          const from = Math.ceil((nowLocal[0]! * 60 + nowLocal[1]! + 10) / 5) * 5;
          const open = hours.filter((h) => h.ends - 5 >= Math.max(from, h.starts));
          if (!open.length) continue;
          const h = open[rnd(open.length)]!;
          const first = Math.max(from, Math.ceil(h.starts / 5) * 5);
          const minute = first + 5 * rnd(Math.max(1, Math.floor((h.ends - 5 - first) / 5) + 1));
          const res = await call('book (today)', 'POST', '/api/appointments', { patientId: 1 + rnd(2000), providerId: h.provider_id, scheduledAt: at(today, minute), durationMin: 5 }, cookie);
          if (res.status === 201) await call('check-in', 'POST', `/api/appointments/${res.body.id as number}/check-in`, {}, cookie);
        } else if (r < 0.8) {
          await call('schedule read', 'GET', `/api/providers/${1 + rnd(20)}/schedule?date=${addDays(today, rnd(5))}`, undefined, cookie);
        } else {
          await call('patient search', 'GET', `/api/patients?q=${encodeURIComponent(prefixes[rnd(prefixes.length)] ?? 'Smi')}`, undefined, cookie);
        }
      }
    };

    const samples: { t: number; rssMb: number; lagMs: number }[] = [];
    const sample = async () => {
      const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
      const text = await fetch(`${origin}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } }).then((r) => r.text());
      const lag = Number(/^nodejs_eventloop_lag_p99_seconds (\S+)/m.exec(text)?.[1] ?? NaN) * 1000;
      samples.push({ t: (Date.now() - started) / 1000, rssMb: rss, lagMs: lag });
    };
    const until = started + minutes * 60_000;
    // The baseline probe: its own connection (the admin login), a SELECT 1 every 250 ms.
    const probe = new pgClient.Client({ connectionString: adminUrl, application_name: 'clinicpulse-soak-probe' });
    await probe.connect();
    let probing = true;
    const probeLoop = (async () => {
      while (probing) {
        const t = performance.now();
        const ok = await probe.query('SELECT 1').then(() => true, () => false);
        if (!ok) break;
        const m = Math.floor((Date.now() - started) / 60_000);
        while (perMinuteProbe.length <= m) perMinuteProbe.push([]);
        perMinuteProbe[m]!.push(performance.now() - t);
        await new Promise((r) => setTimeout(r, 250));
      }
    })();
    let cpuAt = cpuTimes();
    const hostSample = () => {
      const now = cpuTimes();
      const total = now.total - cpuAt.total;
      perMinuteHost.push({ load: os.loadavg()[0]!, stealPct: total > 0 ? ((now.steal - cpuAt.steal) / total) * 100 : 0 });
      cpuAt = now;
    };
    const hostTimer = setInterval(hostSample, 60_000);
    await sample();
    const sampler = setInterval(() => void sample().catch(() => undefined), 5_000);
    await Promise.all(Array.from({ length: clients }, (_, w) => worker(w, until)));
    clearInterval(sampler);
    clearInterval(hostTimer);
    hostSample();
    probing = false;
    await probeLoop;
    await probe.end();
    await sample();

    // ----- report --------------------------------------------------------------------------
    // RSS swings by tens of MB between collections, so one sample against another measures the
    // collector's timing, not growth. Growth is the median of the last quarter of the samples after
    // warm-up against the median of the first quarter (a leak raises every sample, the median too),
    // with the least-squares trend over the same samples beside it.
    const warmAt = Math.min(60, (minutes * 60) / 5);
    const settled = samples.filter((s) => s.t >= warmAt);
    const quarter = Math.max(1, Math.floor(settled.length / 4));
    const earlyRss = median(settled.slice(0, quarter).map((s) => s.rssMb));
    const lateRss = median(settled.slice(-quarter).map((s) => s.rssMb));
    const growth = ((lateRss - earlyRss) / earlyRss) * 100;
    const trend = slope(settled.map((s) => s.t / 60), settled.map((s) => s.rssMb));
    const last = samples.at(-1)!;
    const errors = [...ops.values()].reduce((a, o) => a + o.errors, 0);
    const lines: string[] = [];
    lines.push(
      `Run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${minutes} min, ${os.cpus().length} cores, load average at end ${os.loadavg()[0]!.toFixed(1)}; ` +
        `Node ${process.version}; clinic time zone ${TZ} (mid-morning there at the start, so check-ins run at any hour); demo clinic (${seeded?.appointments ?? '?'} appointments); ${sockets.length} sockets watching provider-days, ${clients} HTTP clients as the front desk.`,
      '',
      '| operation | requests | p50 ms | p95 ms | p99 ms | errors (5xx, network) | refused (4xx: conflicts, rules) |',
      '|---|---:|---:|---:|---:|---:|---:|',
    );
    for (const o of ops.values()) lines.push(`| ${o.name} | ${o.ms.length} | ${round(pct(o.ms, 50))} | ${round(pct(o.ms, 95))} | ${round(pct(o.ms, 99))} | ${o.errors} | ${o.refused} |`);
    lines.push(
      '',
      `Errors: ${errors}. Changes pushed to sockets: ${pushed}. Socket handshakes retried while opening: ${handshakeRetries}. Server RSS ${round(samples[0]!.rssMb)} MB at start, ${round(Math.max(...samples.map((s) => s.rssMb)))} MB peak, ${round(last.rssMb)} MB at the end; ` +
        `after warm-up (t ≥ ${Math.round(warmAt)} s, ${settled.length} samples) the median of the first quarter is ${round(earlyRss)} MB and of the last quarter ${round(lateRss)} MB: ` +
        `growth ${round(growth)} % (target < 10 %), trend ${trend >= 0 ? '+' : ''}${round(trend)} MB a minute. ` +
        `Event-loop lag p99 ${round(Math.min(...samples.map((s) => s.lagMs)))}–${round(Math.max(...samples.map((s) => s.lagMs)))} ms over the samples.`,
      '',
      ...windowReport(),
      '',
      `RSS (MB) every ${samples.length > 1 ? Math.round(samples[1]!.t - samples[0]!.t) : 5} s: ${samples.map((s) => Math.round(s.rssMb)).join(', ')}.`,
    );
    if (errorSamples.length) lines.push('', `First errors: ${errorSamples.map((e) => `\`${e.replace(/`/g, "'")}\``).join('; ')}`);
    const report = lines.join('\n');
    console.log(`\n${report}\n`);
    if (existsSync(DOC)) {
      let doc = readFileSync(DOC, 'utf8');
      const block = `${BEGIN}\n${report}\n${END}`;
      doc = doc.includes(BEGIN) ? doc.slice(0, doc.indexOf(BEGIN)) + block + doc.slice(doc.indexOf(END) + END.length) : `${doc.trimEnd()}\n\n## Soak (npm run soak)\n\n${block}\n`;
      writeFileSync(DOC, doc);
      console.log('Wrote the soak section of docs/benchmarks.md.');
    }
    process.exitCode = errors ? 1 : 0;
  } finally {
    for (const s of sockets) s.close();
    if (server && server.exitCode === null) {
      const exited = new Promise((resolve) => server!.once('exit', resolve));
      server.kill('SIGINT');
      await exited;
    }
    await pg.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
