/**
 * The real service for a bench section: createApp on the service login, served on 127.0.0.1
 * with the production middleware, sessions of the usual lengths, and sign-in throttling out
 * of the way (sections sign in many times). One place, so every section measures the same app.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Knex } from 'knex';
import { pino, type Logger } from 'pino';
import { createKnex } from '../server/db/knex.js';
import { createApp, type ClinicPulseApp } from '../server/app.js';

export const BENCH_SESSION_IDLE_MS = 15 * 60_000;
export const BENCH_SESSION_ABSOLUTE_MS = 12 * 3_600_000;

export interface BenchAppOptions {
  /** application_name of its pool, e.g. 'bench-api'. */
  name: string;
  poolMax: number;
  sessionSecret: string;
  /** Default: silent. */
  logger?: Logger;
  /** The built dashboard, when a browser loads it. */
  clientDir?: string;
  /** What serves the requests, given the app (default: the app itself). */
  handler?: (clinic: ClinicPulseApp, appKnex: Knex) => http.RequestListener;
}

export interface BenchApp {
  origin: string;
  server: http.Server;
  appKnex: Knex;
  clinic: ClinicPulseApp;
  close: () => Promise<void>;
}

export async function startBenchApp(appUrl: string, opts: BenchAppOptions): Promise<BenchApp> {
  const appKnex = createKnex(appUrl, { poolMax: opts.poolMax, applicationName: opts.name });
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clinic = createApp({
    appKnex,
    databaseKind: 'bench',
    logger: opts.logger ?? pino({ level: 'silent' }),
    sessionSecret: opts.sessionSecret,
    sessionIdleMs: BENCH_SESSION_IDLE_MS,
    sessionAbsoluteMs: BENCH_SESSION_ABSOLUTE_MS,
    secureCookie: false,
    trustProxy: false,
    allowedOrigins: [origin],
    loginRateLimit: { max: 10_000, windowMs: 60_000 },
    sessionPruneIntervalMs: 0,
    ...(opts.clientDir ? { clientDir: opts.clientDir } : {}),
  });
  server.on('request', opts.handler ? opts.handler(clinic, appKnex) : clinic.app);
  return {
    origin,
    server,
    appKnex,
    clinic,
    close: async () => {
      clinic.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await appKnex.destroy();
    },
  };
}

/** A response as a section reads it. */
export interface LeanResponse {
  status: number;
  body: string;
}

/**
 * A keep-alive node:http client for a section's timed GETs (the request-path and search
 * sections), on one connection. (Whether it is cheaper than fetch could not be shown: bookings at
 * one client measured 1.2–1.7× faster with it in one side-by-side run and 0.9× in the next,
 * so section 40 keeps fetch, the client of every earlier run.)
 */
export function leanClient(origin: string) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const get = (path: string, cookie?: string) =>
    new Promise<LeanResponse>((resolve, reject) => {
      const req = http.get(`${origin}${path}`, { agent, headers: cookie ? { cookie } : {} }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
    });
  return { get, close: () => agent.destroy() };
}
