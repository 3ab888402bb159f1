/**
 * What operations see, and who else may: /healthz tells a load balancer only that the
 * process answers; /metrics needs the bearer token (or lives on its own listener);
 * /readyz turns 503 naming the live-push listener when its connection is cut, and 200
 * again once it is back; /metrics counts live sockets by role, watches, the outbox
 * head against the last event delivered, listener reconnects and sign-in failures;
 * deliveries dropped (a socket that falls behind is cut off, counted, and loses nothing
 * once it resumes from its cursor); the backup's connections as a pool of their own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { pino } from 'pino';
import client from 'prom-client';
import { createApp, type ClinicPulseApp } from '../../server/app.js';
import { attachRealtime } from '../../server/realtime/attach.js';
import type { Realtime } from '../../server/realtime/index.js';
import { metricsHandler } from '../../server/health/routes.js';
import { registerRealtimeMetrics, watchLivePush } from '../../server/http/ops-metrics.js';
import { runBackup } from '../../server/ops/backup.js';
import { withCredentials } from '../../server/db/connect.js';
import { createKnex } from '../../server/db/knex.js';
import { inject } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { ApiClient, TEST_METRICS_TOKEN, TEST_PASSWORD, testPasswordHash } from '../support/server.js';
import { createStaff, type StaffFixture } from '../support/staff.js';
import { createPatient, createProvider } from '../support/clinic.js';
import { connected, disconnected, mintSession, openSocket, startRealtimeRig, type RecordingClient } from '../support/realtime-server.js';

/** A TCP hop between the listener and PostgreSQL that the test can cut and restore. */
class Hop {
  private server = net.createServer();
  private sockets = new Set<net.Socket>();
  port = 0;
  constructor(private readonly target: { host: string; port: number }) {}
  async open(port = 0) {
    this.server = net.createServer((inbound) => {
      const outbound = net.connect(this.target.port, this.target.host);
      for (const s of [inbound, outbound]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      inbound.pipe(outbound).pipe(inbound);
    });
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }
  async cut() {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const s of this.sockets) s.destroy();
    });
  }
}

let db: TestDatabase;
let hop: Hop;
let clinic: ClinicPulseApp;
let realtime: Realtime;
let httpServer: http.Server;
let origin: string;
let desk: StaffFixture;
let providerId: number;
const sockets: RecordingClient[] = [];

const metricsText = async (headers: Record<string, string> = { authorization: `Bearer ${TEST_METRICS_TOKEN}` }) => {
  const res = await fetch(`${origin}/metrics`, { headers });
  return { status: res.status, text: await res.text() };
};
const value = (text: string, series: string) => {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

beforeAll(async () => {
  db = await createTestDatabase();
  providerId = await createProvider(db.knex);
  desk = await createStaff(db.knex, 'front_desk', { passwordHash: await testPasswordHash() });
  const pgUrl = new URL(db.appUrl);
  hop = new Hop({ host: pgUrl.hostname, port: Number(pgUrl.port) });
  await hop.open();
  const listenUrl = new URL(db.appUrl);
  listenUrl.port = String(hop.port);

  httpServer = http.createServer();
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
  clinic = createApp({
    appKnex: db.appKnex,
    databaseKind: 'test',
    logger: pino({ level: 'silent' }),
    sessionSecret: 'test-session-secret-test-session-secret',
    sessionIdleMs: 15 * 60_000,
    sessionAbsoluteMs: 12 * 3_600_000,
    secureCookie: false,
    trustProxy: false,
    allowedOrigins: [origin],
    loginRateLimit: { max: 1000, windowMs: 60_000 },
    sessionPruneIntervalMs: 0,
    metricsToken: TEST_METRICS_TOKEN,
  });
  httpServer.on('request', clinic.app);
  realtime = await attachRealtime({
    httpServer,
    appKnex: db.appKnex,
    appUrl: db.appUrl,
    sessionSecret: 'test-session-secret-test-session-secret',
    allowedOrigins: [origin],
    retentionDays: 7,
    overrides: { pruneIntervalMs: 0, listenUrl: listenUrl.toString(), listenerHealthCheckMs: 500 },
  });
  watchLivePush(clinic, realtime, db.appKnex);
});
afterAll(async () => {
  for (const s of sockets) s.close();
  clinic?.close();
  await realtime?.close();
  httpServer?.closeAllConnections();
  await new Promise<void>((resolve) => httpServer.close(() => resolve()));
  await hop?.cut().catch(() => undefined);
  await db?.drop();
});

describe('/healthz and /metrics', () => {
  it('/healthz says only that the process answers: no versions, no database details', async () => {
    const res = await fetch(`${origin}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('{"status":"ok"}');
  });

  it('/metrics answers 401 without the bearer token or with a wrong one, and the text with it', async () => {
    const attempts: Record<string, string>[] = [{}, { authorization: 'Bearer wrong-token-wrong-token' }, { authorization: TEST_METRICS_TOKEN }];
    for (const headers of attempts) {
      const res = await metricsText(headers);
      expect(res.status).toBe(401);
      expect(res.text).not.toContain('nodejs_version_info');
    }
    const ok = await metricsText();
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('nodejs_eventloop_lag_p99_seconds');
  });

  it('without METRICS_TOKEN the main listener serves no metrics and says how to turn them on', async () => {
    const registry = new client.Registry();
    const app = express().get('/metrics', metricsHandler(registry, {}));
    const server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`);
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/METRICS_TOKEN.*METRICS_PORT/);
    } finally {
      server.close();
    }
  });

  it('counts live sockets by role, watches, delivery against the outbox head, and sign-in failures', async () => {
    const api = new ApiClient(origin, origin);
    expect((await api.post('/api/login', { username: desk.username, password: 'not the password' })).status).toBe(401);
    expect((await api.post('/api/login', { username: desk.username, password: TEST_PASSWORD })).status).toBe(200);
    const socket = openSocket(origin, { cookie: api.sessionCookie, origin });
    sockets.push(socket);
    await connected(socket);
    const day = '2027-04-06';
    expect(((await socket.socket.timeout(10_000).emitWithAck('schedule:watch', { providerId, date: day })) as { ok: boolean }).ok).toBe(true);
    const booked = await api.post('/api/appointments', { patientId: await createPatient(db.knex), providerId, scheduledAt: `${day}T14:00:00Z`, durationMin: 30 });
    expect(booked.status).toBe(201);
    await socket.next('schedule:changed');
    const { text } = await metricsText();
    expect(value(text, 'realtime_sockets{role="front_desk"}')).toBe(1);
    expect(value(text, 'realtime_sockets{role="clinician"}')).toBe(0);
    expect(value(text, 'realtime_watches')).toBe(1);
    expect(value(text, 'realtime_outbox_head_id')).toBeGreaterThan(0);
    expect(value(text, 'realtime_outbox_delivered_id')).toBe(value(text, 'realtime_outbox_head_id'));
    expect(value(text, 'realtime_events_delivered')).toBeGreaterThanOrEqual(1);
    expect(value(text, 'realtime_listener_up')).toBe(1);
    expect(value(text, 'realtime_seconds_since_last_notification')).toBeGreaterThanOrEqual(0);
    expect(value(text, 'login_failures_total')).toBe(1);
    expect(text).toMatch(/db_pool_connections_used\{pool="app"\} \d+/);
    expect(text).toMatch(/db_pool_acquire_pending\{pool="app"\} \d+/);
  });

  it('with METRICS_PORT the main listener has no /metrics at all', async () => {
    const other = createApp({
      appKnex: db.appKnex,
      databaseKind: 'test',
      logger: pino({ level: 'silent' }),
      sessionSecret: 'test-session-secret-test-session-secret',
      sessionIdleMs: 60_000,
      sessionAbsoluteMs: 3_600_000,
      secureCookie: false,
      trustProxy: false,
      allowedOrigins: [],
      loginRateLimit: { max: 10, windowMs: 60_000 },
      sessionPruneIntervalMs: 0,
      metricsToken: TEST_METRICS_TOKEN,
      metricsOnMainListener: false,
    });
    const server = http.createServer(other.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`, { headers: { authorization: `Bearer ${TEST_METRICS_TOKEN}` } });
      expect(res.status).toBe(404);
      expect(await res.text()).not.toContain('http_request_duration_seconds');
    } finally {
      other.close();
      server.close();
    }
  });
});

describe('/readyz', () => {
  it('answers 503 naming the database while the database cannot be reached', async () => {
    // A pool whose server is gone: nothing listens on the port it points at.
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const deadUrl = new URL(db.appUrl);
    deadUrl.port = String(deadPort);
    const deadKnex = createKnex(deadUrl.toString(), { poolMax: 1 });
    const app = createApp({
      appKnex: deadKnex,
      databaseKind: 'test',
      logger: pino({ level: 'silent' }),
      sessionSecret: 'test-session-secret-test-session-secret',
      sessionIdleMs: 60_000,
      sessionAbsoluteMs: 3_600_000,
      secureCookie: false,
      trustProxy: false,
      allowedOrigins: [],
      loginRateLimit: { max: 10, windowMs: 60_000 },
      sessionPruneIntervalMs: 0,
    });
    const server = http.createServer(app.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/readyz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ status: 'unavailable', down: ['database'], checks: { database: 'down' } });
    } finally {
      app.close();
      server.close();
      await deadKnex.destroy();
    }
  });

  it('answers 503 naming the listener while its connection is cut, and 200 once it is back', async () => {
    expect((await fetch(`${origin}/readyz`)).status).toBe(200);
    const port = hop.port;
    await hop.cut();
    let body: { status: string; down?: string[]; checks: Record<string, string> } | undefined;
    let status = 0;
    for (let i = 0; i < 100 && status !== 503; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const res = await fetch(`${origin}/readyz`);
      status = res.status;
      body = (await res.json()) as typeof body;
    }
    expect(status).toBe(503);
    expect(body).toEqual({ status: 'unavailable', down: ['listener'], checks: { database: 'up', listener: 'down' } });
    expect(value((await metricsText()).text, 'realtime_listener_up')).toBe(0);

    await hop.open(port);
    for (let i = 0; i < 150 && status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = (await fetch(`${origin}/readyz`)).status;
    }
    expect(status).toBe(200);
    const { text } = await metricsText();
    expect(value(text, 'realtime_listener_up')).toBe(1);
    expect(value(text, 'realtime_listener_reconnects')).toBeGreaterThanOrEqual(1);
  });
});

describe('dropped deliveries', () => {
  it('cuts off a socket that falls behind, counts what it missed, and the socket resumes from its cursor without a gap', async () => {
    // A tiny queue limit, with no grace, stands in for a client that stopped reading: a burst
    // of events from one outbox batch queues behind the first frame still being written.
    const rig = await startRealtimeRig(db, { slowConsumer: { maxQueuedPackets: 2, stalledMs: 0 } });
    const registry = new client.Registry();
    registerRealtimeMetrics(registry, rig.realtime, db.appKnex);
    const dropped = async () => value(await registry.metrics(), 'realtime_events_dropped_total{reason="slow_consumer"}');
    const provider = await createProvider(db.knex);
    const day = '2027-04-07';
    const session = await mintSession(db.knex, desk);
    const slow = openSocket(rig.url, { cookie: session.cookie });
    try {
      await connected(slow);
      expect(await dropped()).toBe(0);
      const ack = (await slow.socket.timeout(10_000).emitWithAck('schedule:watch', { providerId: provider, date: day })) as { ok: boolean; cursor: number };
      expect(ack.ok).toBe(true);
      const patients = await Promise.all(Array.from({ length: 8 }, () => createPatient(db.knex)));
      const cutOff = disconnected(slow, 15_000);
      // One statement, one commit, one NOTIFY: the dispatcher fans the 8 events out in one go.
      await db.knex.raw(
        `INSERT INTO appointments (patient_id, provider_id, scheduled_at, duration_min)
         SELECT p, ?, ?::timestamptz + (i - 1) * interval '30 minutes', 30 FROM unnest(?::int[]) WITH ORDINALITY AS t(p, i)`,
        [provider, `${day}T13:00:00Z`, patients],
      );
      expect(await cutOff).toBe('io server disconnect');
      const missed = slow.received.filter((r) => r.event === 'schedule:changed');
      expect(missed.length).toBeLessThan(8);
      // The event that found the queue full and those queued behind it; later ones were not addressed to it.
      expect(await dropped()).toBeGreaterThanOrEqual(1);
      expect(await dropped()).toBeLessThanOrEqual(8 - missed.length);
      expect(rig.realtime.stats().eventsDropped.slow_consumer).toBeGreaterThan(0);

      // What a screen does on 'io server disconnect': reconnect and re-watch from the last cursor it saw.
      const cursor = Math.max(ack.cursor, ...missed.map((r) => r.payload.cursor as number));
      const again = openSocket(rig.url, { cookie: session.cookie });
      try {
        await connected(again);
        const resumed = (await again.socket.timeout(10_000).emitWithAck('schedule:watch', { providerId: provider, date: day, since: cursor })) as { ok: boolean; snapshot: boolean };
        expect(resumed).toMatchObject({ ok: true, snapshot: false });
        await again.next('schedule:changed', (p) => (p.appointment as { patientId?: number } | undefined)?.patientId === patients.at(-1));
        const seen = new Set([...missed, ...again.received.filter((r) => r.event === 'schedule:changed')].map((r) => (r.payload.appointment as { patientId: number }).patientId));
        expect([...seen].sort()).toEqual([...patients].sort());
      } finally {
        again.close();
      }
    } finally {
      slow.close();
      await rig.close();
    }
  });
});

describe('database pools', () => {
  it('shows a running backup\'s connections as pool "backup", back to 0 when it is done', async () => {
    const used = async () => value((await metricsText()).text, 'db_pool_connections_used{pool="backup"}');
    expect(await used()).toBe(0);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'clinicpulse-metrics-backup-'));
    try {
      const backup = runBackup({ adminUrl: db.url, backupUrl: withCredentials(db.url, 'clinicpulse_backup', inject('backupPassword')), outDir: dir });
      let peak = 0;
      let done = false;
      void backup.finally(() => (done = true)).catch(() => undefined);
      while (!done) {
        peak = Math.max(peak, (await used()) ?? 0);
        await new Promise((r) => setTimeout(r, 20));
      }
      await backup;
      expect(peak).toBeGreaterThanOrEqual(1);
      expect(await used()).toBe(0);
      const { text } = await metricsText();
      expect(value(text, 'db_pool_connections_used{pool="app"}')).toBeGreaterThanOrEqual(0);
      expect(value(text, 'db_pool_acquire_pending{pool="backup"}')).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
