/**
 * What operations see, and who else may: /healthz tells a load balancer only that the
 * process answers; /metrics needs the bearer token (or lives on its own listener);
 * /readyz turns 503 naming the live-push listener when its connection is cut, and 200
 * again once it is back; /metrics counts live sockets by role, watches, the outbox
 * head against the last event delivered, listener reconnects and sign-in failures.
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
import { watchLivePush } from '../../server/http/ops-metrics.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { ApiClient, TEST_METRICS_TOKEN, TEST_PASSWORD, testPasswordHash } from '../support/server.js';
import { createStaff, type StaffFixture } from '../support/staff.js';
import { createPatient, createProvider } from '../support/clinic.js';
import { connected, openSocket, type RecordingClient } from '../support/realtime-server.js';

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
