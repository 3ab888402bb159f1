/**
 * Liveness and readiness for operators and load balancers.
 * /healthz: the process is up, and the database's state. /readyz: the database answers.
 */
import { Router } from 'express';
import type { Knex } from 'knex';

export function healthRoutes(deps: { knex: Knex; databaseKind: string }): Router {
  const router = Router();
  const databaseState = async () => {
    try {
      const { rows } = await deps.knex.raw<{ rows: { version: string; in_recovery: boolean }[] }>(
        "SELECT current_setting('server_version') AS version, pg_is_in_recovery() AS in_recovery",
      );
      return { status: 'up' as const, kind: deps.databaseKind, version: rows[0]!.version, inRecovery: rows[0]!.in_recovery };
    } catch {
      return { status: 'down' as const, kind: deps.databaseKind };
    }
  };
  router.get('/healthz', async (_req, res) => {
    res.json({ status: 'ok', database: await databaseState() });
  });
  router.get('/readyz', async (_req, res) => {
    const database = await databaseState();
    res.status(database.status === 'up' ? 200 : 503).json({ status: database.status === 'up' ? 'ready' : 'unavailable', database });
  });
  return router;
}
