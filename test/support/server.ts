/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies in tests are read loosely */
/**
 * The real app on 127.0.0.1:<ephemeral> against this test file's own database
 * clone, plus a cookie-aware client that can sign in as any staff role.
 * The scrypt hash for test accounts is computed once per process (all test
 * accounts share one password), so signing in stays cheap.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { createApp, type ClinicPulseApp } from '../../server/app.js';
import { answerClientErrors } from '../../server/http/errors.js';
import { createLogger } from '../../server/http/observability.js';
import { hashPassword } from '../../server/auth/passwords.js';
import type { StaffRole } from '../../server/db/index.js';
import type { Maintenance } from '../../server/db/maintenance.js';
import { createTestDatabase, type TestDatabase } from './db.js';
import { createStaff, type StaffFixture } from './staff.js';
import { createProvider } from './clinic.js';

export const TEST_PASSWORD = 'correct horse battery staple';
export const TEST_MASTER_KEY = '07'.repeat(32);
export const TEST_SESSION_SECRET = 'test-session-secret-test-session-secret';
export const TEST_METRICS_TOKEN = 'test-metrics-token-0123456789';
let hashOnce: Promise<string> | undefined;
export const testPasswordHash = () => (hashOnce ??= hashPassword(TEST_PASSWORD));

export interface TestServerOptions {
  db?: TestDatabase;
  sessionIdleMs?: number;
  sessionAbsoluteMs?: number;
  loginRateLimit?: { max: number; windowMs: number };
  /** Consecutive failed sign-ins that lock an account (default 1000: out of the way). */
  loginLockoutFailures?: number;
  /** Behind a TLS-terminating proxy: Secure cookies, X-Forwarded-Proto trusted. */
  behindTlsProxy?: boolean;
  /** Receives the server's log lines (level debug) instead of discarding them. */
  logStream?: { write(line: string): void };
  /** Administrator-connection maintenance, as `npm start` passes it (VACUUM after an erasure). */
  maintenance?: Maintenance;
}

export interface TestServer {
  url: string;
  origin: string;
  db: TestDatabase;
  clinic: ClinicPulseApp;
  /** A new client with no session. */
  client(): ApiClient;
  /** Create an account of `role` (a clinician gets a new provider unless given one) that can sign in. */
  createUser(role: StaffRole, opts?: { providerId?: number; username?: string }): Promise<StaffFixture>;
  /** A client signed in as `user`. */
  login(user: StaffFixture): Promise<ApiClient>;
  close(): Promise<void>;
}

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface RequestOptions {
  /** Origin header; defaults to the server's own origin for state-changing requests; null omits it. */
  origin?: string | null;
  headers?: Record<string, string>;
  /** Send this exact string as the body instead of JSON-encoding `body`. */
  raw?: string;
}

export class ApiClient {
  private cookie: string | undefined;
  constructor(private readonly base: string, private readonly ownOrigin: string) {}

  get sessionCookie(): string | undefined {
    return this.cookie;
  }

  set sessionCookie(value: string | undefined) {
    this.cookie = value;
  }

  async request<T = any>(method: string, path: string, body?: unknown, opts: RequestOptions = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...opts.headers };
    if (this.cookie) headers.cookie = this.cookie;
    const safe = method === 'GET' || method === 'HEAD';
    const origin = opts.origin === undefined ? (safe ? undefined : this.ownOrigin) : opts.origin;
    if (origin) headers.origin = origin;
    let payload: string | undefined;
    if (opts.raw !== undefined) payload = opts.raw;
    else if (body !== undefined) payload = JSON.stringify(body);
    if (payload !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
    const res = await fetch(this.base + path, { method, headers, body: payload, redirect: 'manual' });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const [name, value] = pair!.split('=');
      if (name === 'clinicpulse.sid') this.cookie = value ? `${name}=${value}` : undefined;
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: res.status, headers: res.headers, body: parsed as T, text };
  }

  get<T = any>(path: string, opts?: RequestOptions) {
    return this.request<T>('GET', path, undefined, opts);
  }
  post<T = any>(path: string, body?: unknown, opts?: RequestOptions) {
    return this.request<T>('POST', path, body, opts);
  }
  patch<T = any>(path: string, body?: unknown, opts?: RequestOptions) {
    return this.request<T>('PATCH', path, body, opts);
  }
  put<T = any>(path: string, body?: unknown, opts?: RequestOptions) {
    return this.request<T>('PUT', path, body, opts);
  }
  delete<T = any>(path: string, opts?: RequestOptions) {
    return this.request<T>('DELETE', path, undefined, opts);
  }
}

export async function startTestServer(opts: TestServerOptions = {}): Promise<TestServer> {
  const db = opts.db ?? (await createTestDatabase());
  const server = http.createServer();
  answerClientErrors(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  const clinic = createApp({
    appKnex: db.appKnex,
    databaseKind: 'test',
    logger: opts.logStream
      ? createLogger('debug', opts.logStream)
      : pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    sessionSecret: TEST_SESSION_SECRET,
    sessionIdleMs: opts.sessionIdleMs ?? 15 * 60_000,
    sessionAbsoluteMs: opts.sessionAbsoluteMs ?? 12 * 3_600_000,
    secureCookie: opts.behindTlsProxy ?? false,
    trustProxy: opts.behindTlsProxy ?? false,
    allowedOrigins: [origin, `http://localhost:${port}`],
    loginRateLimit: opts.loginRateLimit ?? { max: 1000, windowMs: 60_000 },
    loginLockoutFailures: opts.loginLockoutFailures ?? 1000,
    masterKeyHex: TEST_MASTER_KEY,
    sessionPruneIntervalMs: 0,
    maintenance: opts.maintenance,
    metricsToken: TEST_METRICS_TOKEN,
  });
  server.on('request', clinic.app);
  const sockets = new Set<import('node:net').Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  const ts: TestServer = {
    url: origin,
    origin,
    db,
    clinic,
    client: () => new ApiClient(origin, origin),
    async createUser(role, o = {}) {
      const providerId = role === 'clinician' ? (o.providerId ?? (await createProvider(db.knex))) : undefined;
      return createStaff(db.knex, role, { providerId, username: o.username, passwordHash: await testPasswordHash() });
    },
    async login(user) {
      const c = ts.client();
      const res = await c.post('/api/login', { username: user.username, password: TEST_PASSWORD });
      if (res.status !== 200) throw new Error(`login as ${user.username} failed: ${res.status} ${res.text}`);
      return c;
    },
    async close() {
      clinic.close();
      server.closeAllConnections();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (!opts.db) await db.drop();
    },
  };
  return ts;
}
