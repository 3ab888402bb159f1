/**
 * Declarative API routes: one object per endpoint naming who may call it and the
 * zod schemas of its path, query and body. `mountRoutes` turns them into Express
 * handlers (authenticate → role check → validate → handler) and openapi.ts turns
 * the very same objects into the OpenAPI document.
 *
 * Handlers never see a knex: they get `db`, which runs work as the signed-in staff
 * member. The request's transaction is opened by the session check itself
 * (Sessions.begin: session row, account and identity in one statement), and the
 * handler's first `db` call runs in it, so a typical request is BEGIN, one session
 * statement, its own statements and COMMIT. Later calls, calls needing another
 * isolation level, and retries run through asStaff; read-only work runs in the request's
 * transaction after SET TRANSACTION READ ONLY.
 *
 * A `lean` route (one that usually answers from memory, like the ICD-10 search) does not
 * open that transaction: its session is checked in one round trip of its own (the same
 * checks, as GET /api/me does), and a `db` call, if any, runs in a transaction of its own.
 */
import type { Request, RequestHandler, Response, Router } from 'express';
import type { z } from 'zod';
import type { Knex } from 'knex';
import { asStaff, type StaffRole, type Transaction, type TransactionOptions, type TransactionWork } from '../db/index.js';
import { isRetryable } from '../db/errors.js';
import { AppError } from './errors.js';
import type { SessionUser } from '../auth/session-user.js';
import type { ResponseSpec } from './openapi.js';
import type { FieldCrypto } from '../crypto/index.js';
import type { Maintenance } from '../db/maintenance.js';
import type { Icd10Index } from '../medications/icd10-index.js';

export type HttpMethod = 'get' | 'post' | 'patch' | 'put' | 'delete';

/**
 * A response body PostgreSQL already serialised (json_agg … ::text): a handler returning one
 * has it sent as it is, with the JSON content type, instead of parsed and stringified again.
 * The text must match the route's response schema (its tests compare the two).
 */
export class JsonText {
  constructor(readonly text: string) {}
}

/**
 * Sends it with res.end, not res.send: res.send hashes every body for an ETag (SHA-1 over up to
 * 2 MB for a busy clinic day), and a live screen's data is never answered with 304.
 */
function sendJsonText(res: Response, status: number, body: JsonText): void {
  const bytes = Buffer.from(body.text, 'utf8');
  res.status(status);
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', bytes.length);
  res.end(bytes);
}

/** Runs database work as the signed-in staff member. */
export interface StaffDb {
  <T>(work: TransactionWork<T>, opts?: TransactionOptions): Promise<T>;
}

export interface HandlerContext<P, Q, B> {
  req: Request;
  res: Response;
  params: P;
  query: Q;
  body: B;
  user: SessionUser;
  db: StaffDb;
  /** Field encryption (visit notes) with the service's master key. */
  crypto: FieldCrypto;
  /** Administrator-connection maintenance (the VACUUM after an erasure); absent when not configured. */
  maintenance?: Maintenance;
  /** The ICD-10-CM code list in memory (server/medications/icd10-index.ts). */
  icd10: Icd10Index;
}

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface RouteSpec<P extends z.ZodType | undefined, Q extends z.ZodType | undefined, B extends z.ZodType | undefined> {
  method: HttpMethod;
  /** Express path, e.g. `/api/patients/:id`. */
  path: string;
  summary: string;
  description?: string;
  tag: string;
  /** Roles that may call it; anyone else gets 403 before any database work. */
  roles: readonly StaffRole[];
  params?: P;
  query?: Q;
  body?: B;
  /** Status of a successful response (default 200; 204 sends no body). */
  status?: number;
  response?: ResponseSpec;
  /** Error statuses this endpoint can answer besides 400/401/403/429/500. */
  errors?: Record<number, string>;
  /**
   * The handler usually does no database work: check the session in one round trip of its own
   * instead of opening the request's transaction with it (see the module comment).
   */
  lean?: boolean;
  handler: (ctx: HandlerContext<Out<P>, Out<Q>, Out<B>>) => Promise<unknown>;
}

// Variance: a spec with specific schemas is stored in a list of any-schema specs.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyRoute = RouteSpec<any, any, any>;

/** Typed identity function: infers the handler's context from the schemas. */
export function route<
  P extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
>(spec: RouteSpec<P, Q, B>): AnyRoute {
  return spec as AnyRoute;
}

/**
 * A route outside the staff transaction: sign-in, sign-out and "who am I", which deal with
 * the session itself. Documented from the same object as every other route; its handler gets
 * the services `S` given when it is mounted (mountPublicRoutes) instead of a staff `db`.
 */
export interface PublicRouteSpec<S, B extends z.ZodType | undefined = z.ZodType | undefined> {
  method: HttpMethod;
  path: string;
  summary: string;
  description?: string;
  tag: string;
  /** 'public': no session needed; 'staff': the handler itself requires a signed-in member of staff. */
  roles: 'public' | 'staff';
  body?: B;
  status?: number;
  response?: ResponseSpec;
  errors?: Record<number, string>;
  /** Middleware run before the body is read (e.g. a rate limiter), from the mounted services. */
  before?: (services: S) => RequestHandler;
  handler: (ctx: { req: Request; res: Response; body: Out<B>; services: S }) => Promise<unknown>;
}

/** Typed identity function for public routes, like `route`. */
export function publicRoute<S, B extends z.ZodType | undefined = undefined>(spec: PublicRouteSpec<S, B>): PublicRouteSpec<S> {
  return spec;
}

export function mountPublicRoutes<S>(router: Router, routes: readonly PublicRouteSpec<S>[], services: S): void {
  for (const spec of routes) {
    const handler: RequestHandler = async (req, res) => {
      // Only a declared body is read: these routes ignore anything else a client sends.
      const body = spec.body ? parse(spec.body, req.body, 'body') : undefined;
      const result = await spec.handler({ req, res, body: body, services });
      if (res.headersSent) return;
      const status = spec.status ?? 200;
      if (status === 204 || result === undefined) res.status(status === 200 && result === undefined ? 204 : status).end();
      else res.status(status).json(result);
    };
    if (spec.before) router[spec.method](spec.path, spec.before(services), handler);
    else router[spec.method](spec.path, handler);
  }
}

const MAX_ISSUES = 20;

/** A zod failure as a 400 that says which field and why (never echoing the value). */
export function invalidRequest(where: 'params' | 'query' | 'body', error: z.ZodError): AppError {
  const issues = error.issues.slice(0, MAX_ISSUES).map((i) => {
    const keys = (i as { keys?: string[] }).keys;
    const path = [where, ...i.path.map(String)].join('.').slice(0, 200);
    return keys ? { path, message: `unknown field(s): ${keys.map((k) => k.slice(0, 64)).join(', ')}`.slice(0, 500) } : { path, message: i.message.slice(0, 300) };
  });
  const first = issues[0]!;
  return new AppError(400, 'invalid_request', `${first.path}: ${first.message}`, { issues });
}

const NUL_MESSAGE = 'must not contain a NUL character (U+0000)';

/**
 * PostgreSQL cannot store U+0000 in text (SQLSTATE 22021), and no field of this API has a
 * use for it: refuse it in any string (or key) before validation, naming where it was.
 */
export function rejectNul(where: 'params' | 'query' | 'body', value: unknown): void {
  const issues: { path: string; message: string }[] = [];
  const walk = (v: unknown, path: string[], depth: number): void => {
    if (issues.length >= MAX_ISSUES || depth > 32) return;
    if (typeof v === 'string') {
      if (v.includes('\u0000')) issues.push({ path: [where, ...path].join('.').slice(0, 200), message: NUL_MESSAGE });
    } else if (Array.isArray(v)) {
      v.forEach((item, i) => walk(item, [...path, String(i)], depth + 1));
    } else if (v !== null && typeof v === 'object') {
      for (const [k, item] of Object.entries(v)) {
        const key = k.replaceAll('\u0000', '\\0').slice(0, 64);
        if (k.includes('\u0000')) issues.push({ path: [where, ...path, key].join('.').slice(0, 200), message: NUL_MESSAGE });
        walk(item, [...path, key], depth + 1);
      }
    }
  };
  walk(value, [], 0);
  if (issues.length) throw new AppError(400, 'invalid_request', `${issues[0]!.path}: ${NUL_MESSAGE}`, { issues });
}

function parse<S extends z.ZodType>(schema: S | undefined, value: unknown, where: 'params' | 'query' | 'body'): unknown {
  rejectNul(where, value);
  if (!schema) {
    if (where === 'body' && value !== undefined && !(typeof value === 'object' && value !== null && Object.keys(value).length === 0)) {
      throw new AppError(400, 'invalid_request', 'body: this endpoint takes no request body');
    }
    if (where === 'query' && value && Object.keys(value).length > 0) {
      throw new AppError(400, 'invalid_request', `query: unknown parameter(s): ${Object.keys(value).map((k) => k.slice(0, 64)).join(', ')}`.slice(0, 500));
    }
    return undefined;
  }
  const result = schema.safeParse(value ?? (where === 'body' ? undefined : {}));
  if (!result.success) throw invalidRequest(where, result.error);
  return result.data;
}

export interface MountDeps {
  appKnex: Knex;
  /** Opens the request's transaction as the signed-in user (or undefined); see server/auth/sessions.ts. */
  beginSession: (req: Request, res: Response) => Promise<{ trx: Transaction; user: SessionUser } | undefined>;
  /** Checks the session in one round trip and holds nothing (for `lean` routes); see server/auth/sessions.ts currentUser. */
  checkSession: (req: Request, res: Response) => Promise<SessionUser | undefined>;
  crypto: FieldCrypto;
  maintenance?: Maintenance;
  icd10: Icd10Index;
}

export function mountRoutes(router: Router, routes: readonly AnyRoute[], deps: MountDeps): void {
  for (const spec of routes) {
    const allowed = new Set<string>(spec.roles);
    const handler: RequestHandler = async (req, res) => {
      const session = spec.lean ? await deps.checkSession(req, res).then((user) => user && { trx: undefined, user }) : await deps.beginSession(req, res);
      if (!session) throw new AppError(401, 'unauthenticated', 'Sign in first.');
      const { user } = session;
      let held: Transaction | undefined = session.trx;
      try {
        if (!allowed.has(user.role)) throw new AppError(403, 'forbidden', 'Your role may not do that.');
        const params = parse(spec.params, req.params, 'params');
        const query = parse(spec.query, req.query, 'query');
        const body = parse(spec.body, req.body, 'body');
        const identity = { userId: user.id, role: user.role };
        const db: StaffDb = async (work, opts = {}) => {
          const trx = held;
          held = undefined;
          if (!trx || opts.isolationLevel) {
            await trx?.commit();
            return asStaff(deps.appKnex, identity, work, opts);
          }
          let result: Awaited<ReturnType<typeof work>>;
          try {
            // Read-only work stays in the request's transaction, made read-only from here on
            // (allowed after the session statement's write; one round trip, where committing it
            // and opening a read-only one of its own took three).
            if (opts.readOnly) await trx.raw('SET TRANSACTION READ ONLY');
            result = await work(trx);
            await trx.commit();
          } catch (err) {
            if (!trx.isCompleted()) await trx.rollback().catch(() => undefined);
            const left = (opts.attempts ?? 3) - 1;
            if (left > 0 && isRetryable(err)) return asStaff(deps.appKnex, identity, work, { ...opts, attempts: left });
            throw err;
          }
          return result;
        };
        const result = await spec.handler({ req, res, params, query, body, user, db, crypto: deps.crypto, maintenance: deps.maintenance, icd10: deps.icd10 });
        const unused = held;
        held = undefined;
        // A handler that did no database work still commits: the session's deadline may have moved.
        await unused?.commit();
        if (res.headersSent) return;
        const status = spec.status ?? 200;
        if (status === 204 || result === undefined) res.status(status === 200 && result === undefined ? 204 : status).end();
        else if (result instanceof JsonText) sendJsonText(res, status, result);
        else res.status(status).json(result);
      } finally {
        // Refused (403/400) or failed before any database work: end the session transaction
        // (commit, so a moved deadline sticks), never leave the connection checked out.
        const unused = held;
        held = undefined;
        if (unused && !unused.isCompleted()) await unused.commit().catch(() => unused.rollback().catch(() => undefined));
      }
    };
    router[spec.method](spec.path, handler);
  }
}
