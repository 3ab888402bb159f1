/**
 * Logs and metrics. Logs are structured (pino) and carry no PII: no bodies, no
 * query strings (a patient search is a name), no headers (cookies), only method,
 * path, status, timing, request id and the acting staff user id and role.
 * Errors are logged through `errorForLog`: a PostgreSQL error keeps its SQLSTATE,
 * constraint and message but loses DETAIL, WHERE, HINT and anything else that can
 * quote a row's values (`Key (email)=(…)`, `Failing row contains (…)`).
 * Metrics (prom-client, own registry per app): request duration by route
 * template and status, each database pool's occupancy, sign-in failures and
 * lock-outs, Node's defaults (event-loop lag among them); server/http/ops-metrics.ts
 * adds live push and backups.
 */
import type { Request, RequestHandler } from 'express';
import type { Knex } from 'knex';
import { pino, type Logger, type LevelWithSilent } from 'pino';
import { pinoHttp } from 'pino-http';
import client from 'prom-client';
import { prettyDestination } from './pretty-log.js';

/**
 * Fields that name things, never row values: a node-postgres DatabaseError's, and a Node
 * system error's (a refused or dropped database connection).
 */
const SAFE_FIELDS = ['severity', 'constraint', 'table', 'column', 'schema', 'dataType', 'routine', 'syscall', 'address', 'port', 'errno'] as const;

/**
 * What the log keeps of an error: its type, message (bounded), stack and, for a database
 * error, the identifying fields above. DETAIL, WHERE, HINT, internal queries and bound
 * parameters are dropped, because PostgreSQL puts row values in them; the pool is built
 * with compileSqlOnError off (server/db/knex.ts), so the message carries the SQL with
 * $n placeholders, never the bound values.
 */
export function errorForLog(err: unknown, depth = 0): unknown {
  if (!(err instanceof Error)) return typeof err === 'string' ? err.slice(0, 300) : { type: typeof err };
  const e = err as Error & Record<string, unknown>;
  const out: Record<string, unknown> = { type: e.name, message: e.message.slice(0, 500), stack: e.stack };
  for (const k of SAFE_FIELDS) if (typeof e[k] === 'string' || typeof e[k] === 'number') out[k] = e[k];
  if (typeof e.code === 'string' || typeof e.code === 'number') out.code = e.code;
  // objection's DBError keeps the driver's error as nativeError (see driverError()).
  const cause = e.cause ?? e.nativeError;
  if (cause !== undefined && depth < 3) out.cause = errorForLog(cause, depth + 1);
  return out;
}

/**
 * The service's logger: JSON lines (for production's log shipping), or with `pretty`
 * one readable line per event (development on a terminal, server/http/pretty-log.ts).
 */
export function createLogger(level: LevelWithSilent, destination?: { write(line: string): void }, opts: { pretty?: boolean } = {}): Logger {
  const options = {
    level,
    base: { service: 'clinicpulse' },
    serializers: { err: errorForLog },
    // Belt and braces: the serializers below never emit these, but a careless log call might.
    redact: {
      paths: ['password', '*.password', 'body', '*.body', 'req.headers', 'headers.cookie', '*.cookie', 'email', '*.email', 'phone', '*.phone', 'name', '*.name', 'dob', '*.dob', 'notes', '*.notes', 'detail', '*.detail', '*.where', '*.hint', '*.parameters', '*.bindings'],
      censor: '[redacted]',
    },
  };
  if (opts.pretty) return pino(options, prettyDestination());
  return destination ? pino(options, destination) : pino(options);
}

const pathOnly = (url: string) => url.split('?')[0]!.slice(0, 200);

export function httpLogger(logger: Logger): RequestHandler {
  return pinoHttp({
    logger,
    genReqId: (req) => (req as unknown as { id: string }).id,
    customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'info' : 'debug'),
    serializers: {
      req: (req: { id: string; method: string; url: string; raw?: Request }) => ({
        id: req.id,
        method: req.method,
        path: pathOnly(req.url),
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      err: (err: unknown) => errorForLog(err),
    },
    customProps: (req) => {
      const user = (req as Request).staffUser;
      return user ? { staffUserId: user.id, staffRole: user.role } : {};
    },
    quietReqLogger: true,
  });
}

export interface Metrics {
  registry: client.Registry;
  middleware: RequestHandler;
}

/** Occupancy of a set of connections that is not a knex pool (e.g. a backup's). */
export type PoolReading = () => { used: number; free: number; pending: number };

/** `pools`: each knex pool, and other connection sets read through a PoolReading, by label. */
export function createMetrics(pools: Record<string, Knex | PoolReading>): Metrics {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const duration = new client.Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by method, route template and status.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const reading = (source: Knex | PoolReading): ReturnType<PoolReading> | undefined => {
    if (typeof source === 'function' && !('client' in source)) return (source as PoolReading)();
    const pool = ((source as Knex).client as { pool?: TarnPool }).pool;
    return pool ? { used: pool.numUsed(), free: pool.numFree(), pending: pool.numPendingAcquires() } : undefined;
  };
  const poolGauge = (name: string, help: string, read: (r: ReturnType<PoolReading>) => number) =>
    new client.Gauge({
      name,
      help,
      labelNames: ['pool'] as const,
      registers: [registry],
      collect() {
        for (const [label, source] of Object.entries(pools)) {
          const r = reading(source);
          if (r) this.set({ pool: label }, read(r));
        }
      },
    });
  poolGauge('db_pool_connections_used', 'Database connections checked out, per pool (app: requests; backup: a scheduled backup).', (r) => r.used);
  poolGauge('db_pool_connections_free', 'Idle database connections, per pool.', (r) => r.free);
  poolGauge('db_pool_acquire_pending', 'Requests waiting for a database connection, per pool.', (r) => r.pending);

  const loginFailures = new client.Counter({
    name: 'login_failures_total',
    help: 'Sign-ins refused for a wrong username or password (401 on POST /api/login).',
    registers: [registry],
  });
  const loginLockouts = new client.Counter({
    name: 'login_lockouts_total',
    help: 'Sign-ins refused because the address or account is locked out (429 on POST /api/login).',
    registers: [registry],
  });

  const middleware: RequestHandler = (req, res, next) => {
    const end = duration.startTimer();
    res.on('finish', () => {
      // The route template (/api/patients/:id), never the concrete path: bounded label values.
      const routePath = (req.route as { path?: string } | undefined)?.path;
      const route = routePath ? `${req.baseUrl}${routePath}` : 'unmatched';
      end({ method: req.method, route, status: String(res.statusCode) });
      if (req.method === 'POST' && req.path === '/api/login') {
        if (res.statusCode === 401) loginFailures.inc();
        else if (res.statusCode === 429) loginLockouts.inc();
      }
    });
    next();
  };
  return { registry, middleware };
}

interface TarnPool {
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
}
