/**
 * The Express application, built from its dependencies so tests can start it on
 * an ephemeral port against their own database.
 */
import express, { type Express } from 'express';
import type { Knex } from 'knex';
import { healthRoutes } from './health/routes.js';

export interface AppDeps {
  /** Pool for operational checks only (health); never used for staff data. */
  knex: Knex;
  databaseKind: string;
}

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(healthRoutes(deps));
  return app;
}
