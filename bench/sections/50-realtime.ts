/**
 * Live push: how long a committed change takes to reach sockets, and
 * what the outbox triggers cost.
 *  - the floor: raw LISTEN/NOTIFY latency through two plain `pg` clients;
 *  - commit-to-socket latency p50/p95/p99 with 1, 100, 1,000 and 10,000 connected sockets,
 *    all watching the schedule being changed (every socket receives every event),
 *    measured from COMMIT's reply to each socket's `schedule:changed` handler
 *    (alternating a booking and its cancellation, so every change lands on that day);
 *    every (booking, socket) pair must arrive: a lost event fails the section;
 *  - the server's memory per connected socket (heap and RSS growth of this process, which
 *    hosts the server, from no sockets to 10,000, after a full GC);
 *  - bookings/s with and without the outbox triggers (4 concurrent writers).
 * The sockets live in a second process (this file, spawned with CLINICPULSE_BENCH_CLIENTS=1)
 * as raw WebSocket clients speaking Socket.IO's wire protocol, timestamping each frame on
 * arrival; on a 2-core machine they still share the CPU with the server and PostgreSQL.
 */
import http from 'node:http';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import v8 from 'node:v8';
import vm from 'node:vm';
import pg from 'pg';
import { pastEarlierRuns, percentile, throughput, type BenchContext, type BenchRow, type BenchSection } from '../context.js';
import { createKnex } from '../../server/db/knex.js';
import { attachRealtime } from '../../server/realtime/attach.js';
import { mintSession } from '../../test/support/session-cookie.js';
import type { ScheduleWatchAck } from '../../shared/events.js';

const ORIGIN = 'http://bench.local';
const SECRET = randomBytes(24).toString('hex');
const SOCKET_COUNTS = [1, 100, 1000, 10_000] as const;
/** 10,000 sockets × 200 changes would be two million deliveries: 100 changes there. */
const changesFor = (sockets: number) => (sockets >= 10_000 ? 100 : 200);
const TARGET_P99: Partial<Record<number, number>> = { 1000: 20, 10_000: 60 };
const FLOOR_SAMPLES = 500;
const WRITE_SECONDS = 5;
const WRITERS = 4;
const LATENCY_DAY = '2080-06-15';
const LATENCY_EPOCH = Date.UTC(2080, 5, 15, 12);
/**
 * The write test's earliest first slot; it starts after any booking already there (the API
 * section's raw inserts from 2085 on, or a kept dataset's earlier runs), and its "without"
 * half 732 days after that.
 */
const WRITE_EPOCH = Date.UTC(2082, 0, 1);
const WITHOUT_OFFSET_MS = 732 * 86_400_000;

/** A full garbage collection, so that heap figures compare live objects only. */
function collectGarbage(): void {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
}
const memory = () => {
  collectGarbage();
  const { heapUsed, rss } = process.memoryUsage();
  return { heapUsed, rss };
};

const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;
const round = (v: number) => Math.round(v * 100) / 100;

async function notifyFloor(url: string): Promise<number[]> {
  const listener = new pg.Client({ connectionString: url });
  const sender = new pg.Client({ connectionString: url });
  await listener.connect();
  await sender.connect();
  try {
    await listener.query('LISTEN bench_floor');
    const samples: number[] = [];
    for (let i = 0; i < FLOOR_SAMPLES; i++) {
      const got = new Promise<void>((resolve) => listener.once('notification', () => resolve()));
      const start = process.hrtime.bigint();
      await sender.query("SELECT pg_notify('bench_floor', $1)", [String(i)]);
      await got;
      samples.push(ms(start));
    }
    return samples;
  } finally {
    await listener.end();
    await sender.end();
  }
}

async function bookingsPerSecond(url: string, providers: number[], patients: number[], epoch: number): Promise<number> {
  const clients = await Promise.all(Array.from({ length: WRITERS }, async () => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    return c;
  }));
  try {
    // One provider and patient per writer, slots 30 minutes apart: never an overlap.
    return await throughput(clients.length, WRITE_SECONDS, async (w, i) => {
      await clients[w]!.query('INSERT INTO appointments (patient_id, provider_id, scheduled_at, duration_min) VALUES ($1, $2, $3, 30)', [
        patients[w]!, providers[w]!, new Date(epoch + i * 30 * 60_000),
      ]);
    });
  } finally {
    await Promise.all(clients.map((c) => c.end()));
  }
}

// ----- the socket clients, in a process of their own ------------------------------------------
// The same file is the clients' entry point (env CLINICPULSE_BENCH_CLIENTS=1): spawned by the
// section, it speaks JSON lines on stdin/stdout. Imported by the runner, this block does nothing.

interface ClientRequest {
  op: 'grow' | 'collect';
  n?: number;
  cursor?: number;
  expect?: number;
}

function spawnClients(env: { url: string; cookie: string; providerId: number; day: string }) {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
    env: {
      ...process.env,
      CLINICPULSE_BENCH_CLIENTS: '1',
      BENCH_URL: env.url,
      BENCH_COOKIE: env.cookie,
      BENCH_PROVIDER: String(env.providerId),
      BENCH_DAY: env.day,
    },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const waiting: ((r: Record<string, unknown>) => void)[] = [];
  lines.on('line', (line) => waiting.shift()?.(JSON.parse(line) as Record<string, unknown>));
  return {
    request(req: ClientRequest): Promise<Record<string, unknown>> {
      return new Promise((resolve, reject) => {
        waiting.push((r) => (r.error ? reject(new Error(typeof r.error === 'string' ? r.error : JSON.stringify(r.error))) : resolve(r)));
        child.stdin!.write(`${JSON.stringify(req)}\n`);
      });
    },
    close(): Promise<void> {
      return new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.stdin!.end();
      });
    },
  };
}

/** The part of `ws` (a dependency of socket.io) that the client process uses. */
interface RawSocket {
  on(event: 'message', cb: (data: Buffer) => void): void;
  on(event: 'error' | 'close', cb: (arg?: unknown) => void): void;
  send(data: string): void;
  close(): void;
}

/**
 * Raw WebSocket clients speaking Socket.IO's wire protocol (Engine.IO v4 over WebSocket):
 * each frame is timestamped on arrival before any decoding, so the latency measured is the
 * server's and the network's, not socket.io-client's parsing of 1,000 copies in one process.
 */
async function clientProcess(): Promise<void> {
  const WebSocket = createRequire(import.meta.url)('ws') as new (url: string, opts: { headers: Record<string, string> }) => RawSocket;
  const sockets: RawSocket[] = [];
  const arrivals = new Map<number, string[]>();
  const providerId = Number(process.env.BENCH_PROVIDER);
  const day = process.env.BENCH_DAY!;
  const wsUrl = `${process.env.BENCH_URL!.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`;
  const open = () =>
    new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(wsUrl, { headers: { cookie: process.env.BENCH_COOKIE!, origin: ORIGIN } });
      let stage: 'open' | 'connect' | 'watch' | 'live' = 'open';
      ws.on('error', reject);
      ws.on('message', (data) => {
        const at = process.hrtime.bigint();
        const msg = data.toString();
        if (msg === '2') return ws.send('3'); // Engine.IO ping → pong
        if (stage === 'live') {
          const m = /^42\["schedule:changed",.*"cursor":(\d+)/.exec(msg);
          if (m) {
            const list = arrivals.get(Number(m[1]));
            if (list) list.push(at.toString());
            else arrivals.set(Number(m[1]), [at.toString()]);
          }
        } else if (stage === 'open' && msg.startsWith('0')) {
          stage = 'connect';
          ws.send('40'); // Socket.IO CONNECT to the main namespace
        } else if (stage === 'connect' && msg.startsWith('40')) {
          stage = 'watch';
          ws.send(`420${JSON.stringify(['schedule:watch', { providerId, date: day }])}`); // event with ack id 0
        } else if (stage === 'connect' && msg.startsWith('44')) {
          reject(new Error(`refused: ${msg}`));
        } else if (stage === 'watch' && msg.startsWith('430')) {
          const ack = (JSON.parse(msg.slice(3)) as ScheduleWatchAck[])[0]!;
          if (!ack.ok) return reject(new Error(`watch refused: ${ack.error.code}`));
          stage = 'live';
          sockets.push(ws);
          resolve();
        }
      });
    });
  const reply = (r: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(r)}\n`);
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => void (async () => {
    const req = JSON.parse(line) as ClientRequest;
    try {
      if (req.op === 'grow') {
        while (sockets.length < req.n!) await Promise.all(Array.from({ length: Math.min(50, req.n! - sockets.length) }, open));
        return reply({ ok: true, sockets: sockets.length });
      }
      const deadline = Date.now() + 5000 + req.expect! / 2;
      while ((arrivals.get(req.cursor!)?.length ?? 0) < req.expect! && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
      reply({ times: arrivals.get(req.cursor!) ?? [] });
      arrivals.delete(req.cursor!);
    } catch (err) {
      reply({ error: (err as Error).message });
    }
  })());
  lines.on('close', () => {
    for (const s of sockets) s.close();
    process.exit(0);
  });
}

if (process.env.CLINICPULSE_BENCH_CLIENTS === '1') void clientProcess();

const section: BenchSection = {
  title: 'Live push',
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const rows: BenchRow[] = [];
    const floor = await notifyFloor(ctx.adminUrl);
    rows.push(
      { metric: 'raw LISTEN/NOTIFY p50', value: round(percentile(floor, 50)), unit: 'ms', note: `${FLOOR_SAMPLES} notifications between two plain pg clients: the floor` },
      { metric: 'raw LISTEN/NOTIFY p99', value: round(percentile(floor, 99)), unit: 'ms' },
    );

    const providers: number[] = (await ctx.knex.raw('SELECT provider_id FROM providers ORDER BY 1 LIMIT ?', [WRITERS + 1])).rows.map((r: { provider_id: number }) => r.provider_id);
    const patients: number[] = (await ctx.knex.raw('SELECT patient_id FROM patients ORDER BY 1 LIMIT ?', [WRITERS + 1])).rows.map((r: { patient_id: number }) => r.patient_id);
    const { rows: staff } = await ctx.knex.raw(
      `INSERT INTO staff_users (username, role, password_hash)
       VALUES ('bench-realtime-desk', 'front_desk', 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=')
       ON CONFLICT (username) DO UPDATE SET active = true, deactivated_at = NULL RETURNING user_id`,
    );
    const { cookie } = await mintSession(ctx.knex, { userId: staff[0].user_id, role: 'front_desk' }, { idleMs: 3_600_000, secret: SECRET });

    const appKnex = createKnex(ctx.appUrl, { poolMax: 10, applicationName: 'clinicpulse-bench-realtime' });
    const httpServer = http.createServer();
    await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
    // Handshakes authenticated by the production authenticator over the API's session store.
    const realtime = await attachRealtime({
      httpServer,
      appKnex,
      appUrl: ctx.appUrl,
      sessionSecret: SECRET,
      allowedOrigins: [ORIGIN],
      retentionDays: 7,
      overrides: { pruneIntervalMs: 0, rateLimit: { perSecond: 1000, burst: 1000 } },
    });
    const url = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
    const clients = spawnClients({ url, cookie, providerId: providers[WRITERS]!, day: LATENCY_DAY });
    const writer = new pg.Client({ connectionString: ctx.adminUrl });
    await writer.connect();
    const providerId = providers[WRITERS]!;
    const patientId = patients[WRITERS]!;
    let open: number | undefined;
    const idle = memory();
    try {
      for (const target of SOCKET_COUNTS) {
        await clients.request({ op: 'grow', n: target });
        const samples: number[] = [];
        const commits: number[] = [];
        let lost = 0;
        const changes = changesFor(target);
        for (let i = 0; i < changes; i++) {
          // Alternately book the slot and cancel that booking: every change lands on the watched day.
          await writer.query('BEGIN');
          if (open === undefined) {
            const { rows: booked } = await writer.query(
              'INSERT INTO appointments (patient_id, provider_id, scheduled_at, duration_min) VALUES ($1, $2, $3, 30) RETURNING appointment_id',
              [patientId, providerId, new Date(LATENCY_EPOCH)],
            );
            open = booked[0].appointment_id as number;
          } else {
            await writer.query("UPDATE appointments SET status = 'cancelled' WHERE appointment_id = $1", [open]);
            open = undefined;
          }
          const beforeCommit = process.hrtime.bigint();
          await writer.query('COMMIT');
          const committed = process.hrtime.bigint();
          commits.push(ms(beforeCommit));
          const { rows: head } = await writer.query('SELECT max(last_event_id)::bigint AS id FROM appointment_event_batches');
          const reply = await clients.request({ op: 'collect', cursor: Number(head[0].id), expect: target });
          // CLOCK_MONOTONIC is one clock for every process on the machine.
          for (const t of reply.times as string[]) samples.push(Number(BigInt(t) - committed) / 1e6);
          lost += target - (reply.times as string[]).length;
        }
        if (lost > 0) throw new Error(`${lost} event deliveries lost with ${target} sockets`);
        const n = `${target.toLocaleString('en-US')} socket${target === 1 ? '' : 's'}`;
        const p99 = round(percentile(samples, 99));
        const goal = TARGET_P99[target];
        rows.push(
          { metric: `commit-to-socket p50 (${n})`, value: round(percentile(samples, 50)), unit: 'ms', note: `${changes} changes (bookings and cancellations) × ${target} sockets = ${samples.length} deliveries, 0 lost` },
          { metric: `commit-to-socket p95 (${n})`, value: round(percentile(samples, 95)), unit: 'ms' },
          { metric: `commit-to-socket p99 (${n})`, value: p99, unit: 'ms', note: goal ? `target ≤ ${goal} ms: ${p99 <= goal ? 'met' : 'NOT met'}` : undefined },
          { metric: `COMMIT round trip p50 (${n})`, value: round(percentile(commits, 50)), unit: 'ms', note: 'the WAL flush before the change exists; not included above' },
        );
        if (target === SOCKET_COUNTS[SOCKET_COUNTS.length - 1]) {
          const now = memory();
          const kib = (bytes: number) => round(bytes / target / 1024);
          rows.push(
            { metric: `server heap per socket (${n})`, value: kib(now.heapUsed - idle.heapUsed), unit: 'KiB', note: `heapUsed growth after a full GC, from 0 to ${n} (each authenticated, watching one schedule)` },
            { metric: `server RSS per socket (${n})`, value: kib(now.rss - idle.rss), unit: 'KiB', note: `resident set growth of the process hosting the server; the clients live in another process` },
          );
        }
      }
    } finally {
      await clients.close();
      await writer.end();
      await realtime.close();
      httpServer.closeAllConnections();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
      await appKnex.destroy();
    }

    // The cost of being live: the same single-row bookings with and without the outbox triggers.
    const epoch = await pastEarlierRuns(ctx.knex, WRITE_EPOCH);
    const withTriggers = await bookingsPerSecond(ctx.adminUrl, providers, patients, epoch);
    await ctx.knex.raw('ALTER TABLE appointments DISABLE TRIGGER appointment_events_insert');
    let without: number;
    try {
      without = await bookingsPerSecond(ctx.adminUrl, providers, patients, epoch + WITHOUT_OFFSET_MS);
    } finally {
      await ctx.knex.raw('ALTER TABLE appointments ENABLE TRIGGER appointment_events_insert');
    }
    rows.push(
      { metric: 'bookings/s with outbox triggers', value: Math.round(withTriggers), unit: 'tx/s', note: `${WRITERS} writers, single-row INSERT per transaction, ${WRITE_SECONDS} s` },
      { metric: 'bookings/s without outbox triggers', value: Math.round(without), unit: 'tx/s', note: `with/without = ${round(withTriggers / without)}` },
    );
    return rows;
  },
};

export default section;
