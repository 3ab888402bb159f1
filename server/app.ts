/**
 * The Express application, built from its dependencies so tests can start it on
 * an ephemeral port against their own database.
 *
 * Order matters: request id → metrics → logs → security headers → health and docs
 * (no session) → /api: JSON-only bodies (100 kB) → CSRF origin check → session and
 * current user → sign-in routes → feature routes → 404 → the one error handler.
 * Staff data is reached only through `appKnex` (the clinicpulse_app login) and only
 * via asStaff/asService inside the route framework.
 */
import express, { type Express, type Request } from 'express';
import helmet from 'helmet';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { healthRoutes, metricsHandler, type ReadinessCheck } from './health/routes.js';
import { apiNotFound, errorHandler } from './http/errors.js';
import { csrfOriginCheck, requestId, requireJsonBody } from './http/request-context.js';
import { createMetrics, httpLogger, type Metrics } from './http/observability.js';
import { backupConnectionsInUse } from './ops/backup.js';
import { mountPublicRoutes, mountRoutes, type AnyRoute } from './http/route.js';
import { buildOpenApi, type OperationDoc } from './http/openapi.js';
import { docsRoutes } from './http/docs.js';
import { createSessions, type Sessions } from './auth/sessions.js';
import { authRoutes, authServices } from './auth/routes.js';
import { providerRoutes } from './providers/routes.js';
import { availabilityRoutes } from './availability/routes.js';
import { waitlistRoutes } from './waitlist/routes.js';
import { seriesRoutes } from './appointments/series-routes.js';
import { patientRoutes } from './patients/routes.js';
import { appointmentRoutes } from './appointments/routes.js';
import { medicationRoutes } from './medications/routes.js';
import { analyticsRoutes } from './analytics/routes.js';
import { allowedOrigins, previousMasterKeys, servesTls, type Config } from './config.js';
import { FieldCrypto } from './crypto/index.js';
import type { Maintenance } from './db/maintenance.js';
import { auditRoutes } from './audit/routes.js';
import { staffRoutes } from './staff/routes.js';
import { clinicRoutes } from './clinic/routes.js';
import { billingRoutes } from './billing/routes.js';
import { clinicalRoutes } from './clinical/routes.js';
import { Icd10Index } from './medications/icd10-index.js';

export interface AppDeps {
  /** The service's pool (login role clinicpulse_app): every request's database work goes through it via asStaff. */
  appKnex: Knex;
  databaseKind: string;
  logger: Logger;
  sessionSecret: string;
  sessionIdleMs: number;
  sessionAbsoluteMs: number;
  /** Cookie `Secure` flag (true under TLS). */
  secureCookie: boolean;
  /** Trust X-Forwarded-* from one proxy hop (TLS terminated by a proxy). */
  trustProxy: boolean;
  allowedOrigins: string[];
  loginRateLimit: { max: number; windowMs: number };
  /** Consecutive failed sign-ins, from any address, that lock an account until an administrator unlocks it (default 20). */
  loginLockoutFailures?: number;
  /** Master key (64 hex) wrapping per-patient data keys (never stored in the database); without it notes cannot be written. */
  masterKeyHex?: string;
  /** Master keys being rotated away from (MASTER_KEY_PREVIOUS): they unwrap until `npm run keys:rotate` finishes. */
  previousMasterKeysHex?: string[];
  /** Built dashboard (vite build output); a placeholder page is served when missing. */
  clientDir?: string;
  /** How often expired sessions are pruned (0: never, for tests). */
  sessionPruneIntervalMs?: number;
  /** Maintenance with the administrator's connection (VACUUM after an erasure); skipped when absent. */
  maintenance?: Maintenance;
  /** Bearer token for GET /metrics on this listener (METRICS_TOKEN). */
  metricsToken?: string;
  /** false when /metrics has a listener of its own (METRICS_PORT): then this one answers 404. */
  metricsOnMainListener?: boolean;
}

export interface ClinicPulseApp {
  app: Express;
  /** Session middleware and the current-user resolver, for the realtime layer's handshakes. */
  sessions: Sessions;
  /** The metrics registry (for a separate metrics listener and extra gauges). */
  metrics: Metrics;
  /** Readiness checks besides the database's, by name (main.ts adds the live-push listener). */
  readiness: Map<string, ReadinessCheck>;
  /** The in-memory ICD-10-CM code list behind GET /api/icd10 (invalidate() after changing icd10_codes). */
  icd10: Icd10Index;
  /** Stop timers (session pruning). Pools are closed by their owner. */
  close(): void;
}

/** Every documented API operation, in reference-page order. */
export const apiRoutes: AnyRoute[] = [
  ...providerRoutes,
  ...availabilityRoutes,
  ...waitlistRoutes,
  ...patientRoutes,
  ...seriesRoutes,
  ...appointmentRoutes,
  ...medicationRoutes,
  ...analyticsRoutes,
  ...auditRoutes,
  ...staffRoutes,
  ...clinicRoutes,
  ...clinicalRoutes,
  ...billingRoutes,
];

export function openApiDocument(): unknown {
  const ops: OperationDoc[] = [...authRoutes, ...apiRoutes];
  return buildOpenApi(ops, {
    title: 'ClinicPulse API',
    version: '0.1.0',
    description:
      'Realtime clinic scheduling. Sign in with POST /api/login (session cookie). Every request runs inside PostgreSQL as the signed-in ' +
      'staff member, so what comes back is what the database lets that role see. Errors are always {"error": {"code", "message", "details"?}}.',
  });
}

const PLACEHOLDER = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ClinicPulse</title></head>
<body><h1>ClinicPulse</h1><p>The dashboard is not built yet (<code>npm run build</code>). The API is running:
see the <a href="/api/docs">API reference</a>.</p></body></html>
`;

export function createApp(deps: AppDeps): ClinicPulseApp {
  const app = express();
  app.disable('x-powered-by');
  // GET /api/clinic tells the dashboard when it will be signed out for idling.
  app.locals.sessionIdleMs = deps.sessionIdleMs;
  if (deps.trustProxy) app.set('trust proxy', 1);

  // "backup": the connections a scheduled backup (BACKUP_CRON) holds while it runs.
  const metrics = createMetrics({ app: deps.appKnex, backup: () => ({ used: backupConnectionsInUse(), free: 0, pending: 0 }) });
  app.use(requestId);
  app.use(metrics.middleware);
  app.use(httpLogger(deps.logger));
  // Without TLS, HSTS and upgrade-insecure-requests would break a plain-HTTP local setup.
  const tls = deps.secureCookie;
  app.use(
    helmet({
      strictTransportSecurity: tls,
      contentSecurityPolicy: { directives: { upgradeInsecureRequests: tls ? [] : null } },
    }),
  );

  const readiness = new Map<string, ReadinessCheck>();
  app.use(healthRoutes({ knex: deps.appKnex, checks: readiness }));
  if (deps.metricsOnMainListener !== false) app.get('/metrics', metricsHandler(metrics.registry, { token: deps.metricsToken }));
  app.use(docsRoutes(openApiDocument));

  const sessions = createSessions({
    knex: deps.appKnex,
    secret: deps.sessionSecret,
    idleMs: deps.sessionIdleMs,
    absoluteMs: deps.sessionAbsoluteMs,
    secureCookie: deps.secureCookie,
    sameSite: 'lax',
    pruneIntervalMs: deps.sessionPruneIntervalMs,
    onError: (err) => deps.logger.error({ err }, 'session pruning failed'),
  });

  // Mounted at the root with full /api paths, so route templates in metrics and docs match.
  const api = express.Router();
  api.use('/api', requireJsonBody, express.json({ limit: '100kb', strict: true }), csrfOriginCheck(deps.allowedOrigins), ...sessions.middleware);
  mountPublicRoutes(
    api,
    authRoutes,
    authServices({ knex: deps.appKnex, sessions, rateLimit: deps.loginRateLimit, lockoutFailures: deps.loginLockoutFailures ?? 20, secret: deps.sessionSecret }),
  );
  const icd10 = new Icd10Index();
  mountRoutes(api, apiRoutes, {
    appKnex: deps.appKnex,
    beginSession: sessions.begin,
    checkSession: (req, res) => sessions.currentUser(req, res),
    icd10,
    crypto: new FieldCrypto(deps.masterKeyHex, deps.previousMasterKeysHex),
    maintenance: deps.maintenance,
  });
  api.use('/api', apiNotFound);
  app.use(api);

  const clientDir = deps.clientDir;
  if (clientDir && existsSync(path.join(clientDir, 'index.html'))) {
    app.use(express.static(clientDir, { index: 'index.html', maxAge: '1h' }));
    app.get('/{*rest}', (req: Request, res, next) => (req.path.startsWith('/api') ? next() : res.sendFile(path.join(path.resolve(clientDir), 'index.html'))));
  } else {
    app.get('/', (_req, res) => res.type('html').send(PLACEHOLDER));
  }

  app.use(errorHandler(({ errorId, err }) => deps.logger.error({ errorId, err }, 'unhandled error')));
  return { app, sessions, metrics, readiness, icd10, close: () => sessions.close() };
}

/** AppDeps from the configuration (the parts that do not need a database). */
export function appOptionsFromConfig(config: Config, port = config.PORT) {
  return {
    sessionIdleMs: config.SESSION_IDLE_MINUTES * 60_000,
    sessionAbsoluteMs: config.SESSION_ABSOLUTE_HOURS * 3_600_000,
    secureCookie: servesTls(config),
    trustProxy: config.TLS_TERMINATED_BY_PROXY,
    allowedOrigins: allowedOrigins(config, port),
    loginRateLimit: { max: config.LOGIN_RATE_LIMIT, windowMs: config.LOGIN_RATE_LIMIT_WINDOW_MINUTES * 60_000 },
    loginLockoutFailures: config.LOGIN_LOCKOUT_FAILURES,
    previousMasterKeysHex: previousMasterKeys(config),
    metricsToken: config.METRICS_TOKEN,
    metricsOnMainListener: config.METRICS_PORT === undefined,
  };
}
