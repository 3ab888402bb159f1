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
import { healthRoutes } from './health/routes.js';
import { apiNotFound, errorHandler } from './http/errors.js';
import { csrfOriginCheck, requestId, requireJsonBody } from './http/request-context.js';
import { createMetrics, httpLogger } from './http/observability.js';
import { mountRoutes, type AnyRoute } from './http/route.js';
import { buildOpenApi, type OperationDoc } from './http/openapi.js';
import { docsRoutes } from './http/docs.js';
import { createSessions, type Sessions } from './auth/sessions.js';
import { authDocs, authRoutes } from './auth/routes.js';
import { providerRoutes } from './providers/routes.js';
import { patientRoutes } from './patients/routes.js';
import { appointmentRoutes } from './appointments/routes.js';
import { medicationRoutes } from './medications/routes.js';
import { analyticsRoutes } from './analytics/routes.js';
import { allowedOrigins, servesTls, type Config } from './config.js';
import { FieldCrypto } from './crypto/index.js';
import { auditRoutes } from './audit/routes.js';

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
  /** Built dashboard (vite build output); a placeholder page is served when missing. */
  clientDir?: string;
  /** How often expired sessions are pruned (0: never, for tests). */
  sessionPruneIntervalMs?: number;
}

export interface ClinicPulseApp {
  app: Express;
  /** Session middleware and the current-user resolver, for the realtime layer's handshakes. */
  sessions: Sessions;
  /** Stop timers (session pruning). Pools are closed by their owner. */
  close(): void;
}

/** Every documented API operation, in reference-page order. */
export const apiRoutes: AnyRoute[] = [
  ...providerRoutes,
  ...patientRoutes,
  ...appointmentRoutes,
  ...medicationRoutes,
  ...analyticsRoutes,
  ...auditRoutes,
];

export function openApiDocument(): unknown {
  const ops: OperationDoc[] = [...authDocs, ...apiRoutes];
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
  if (deps.trustProxy) app.set('trust proxy', 1);

  const metrics = createMetrics({ app: deps.appKnex });
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

  app.use(healthRoutes({ knex: deps.appKnex, databaseKind: deps.databaseKind }));
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
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
  api.use(authRoutes({ knex: deps.appKnex, sessions, rateLimit: deps.loginRateLimit, lockoutFailures: deps.loginLockoutFailures ?? 20, secret: deps.sessionSecret }));
  mountRoutes(api, apiRoutes, { appKnex: deps.appKnex, beginSession: sessions.begin, crypto: new FieldCrypto(deps.masterKeyHex) });
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
  return { app, sessions, close: () => sessions.close() };
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
  };
}
