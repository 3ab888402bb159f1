/**
 * Liveness, readiness and the metrics endpoint.
 * /healthz: the process answers (for load balancers; says nothing else: no versions,
 * no counters). /readyz: 200 when the database answers and every registered check
 * (the live-push listener) is up, else 503 naming what is down. /metrics: Prometheus
 * text, only with `Authorization: Bearer METRICS_TOKEN`, or on a separate listener
 * (METRICS_PORT) that only the monitoring network reaches.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { Router, type RequestHandler } from 'express';
import type { Knex } from 'knex';
import type client from 'prom-client';

/** A readiness check: true when the dependency is usable. */
export type ReadinessCheck = () => boolean | Promise<boolean>;

const withTimeout = <T>(p: Promise<T>, ms: number, fallback: T) =>
  Promise.race([p, new Promise<T>((resolve) => setTimeout(() => resolve(fallback), ms).unref())]);

export function healthRoutes(deps: { knex: Knex; checks: Map<string, ReadinessCheck> }): Router {
  const router = Router();
  const databaseUp = async () => {
    try {
      await deps.knex.raw('SELECT 1');
      return true;
    } catch {
      return false;
    }
  };
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const names = ['database', ...deps.checks.keys()];
    const results = await Promise.all([
      withTimeout(databaseUp(), 2000, false),
      ...[...deps.checks.values()].map((check) => withTimeout(Promise.resolve().then(check).catch(() => false), 2000, false)),
    ]);
    const checks = Object.fromEntries(names.map((n, i) => [n, results[i] ? 'up' : 'down']));
    const down = names.filter((_, i) => !results[i]);
    res.status(down.length ? 503 : 200).json(down.length ? { status: 'unavailable', down, checks } : { status: 'ready', checks });
  });
  return router;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * GET /metrics. With a token, only `Authorization: Bearer <token>` gets the text
 * (compared in constant time); without one (`open`), anyone who reaches this
 * listener does, which is right only for a listener of its own.
 */
export function metricsHandler(registry: client.Registry, access: { token?: string; open?: boolean }): RequestHandler {
  const expected = access.token ? digest(access.token) : undefined;
  return async (req, res) => {
    if (!access.open || expected) {
      const m = /^Bearer (.+)$/.exec(req.get('authorization') ?? '');
      if (!expected || !m || !timingSafeEqual(digest(m[1]!), expected)) {
        res.status(401).set('WWW-Authenticate', 'Bearer').json({
          error: {
            code: 'unauthenticated',
            message: expected
              ? 'Send Authorization: Bearer <METRICS_TOKEN>.'
              : 'Metrics are not served here: set METRICS_TOKEN (then send Authorization: Bearer <token>) or METRICS_PORT for a listener of their own.',
          },
        });
        return;
      }
    }
    res.type(registry.contentType).send(await registry.metrics());
  };
}
