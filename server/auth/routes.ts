/**
 * Sign-in, sign-out and "who am I". A wrong username, a wrong password, a
 * deactivated account and a locked one all answer the same 401 after the same scrypt
 * work, so the response says nothing about which accounts exist.
 *
 * Two limits: per client address and username (express-rate-limit on login_throttle,
 * 429), and per account whatever the address (staff_login_failures): consecutive
 * failures lock the account until an administrator unlocks it. The second holds even
 * when X-Forwarded-For can be forged (a client reaching the service past its proxy).
 *
 * The session id is replaced at sign-in (no fixation) and the row deleted at sign-out.
 */
import { Router, type Request } from 'express';
import { rateLimit, ipKeyGenerator } from 'express-rate-limit';
import type { Knex } from 'knex';
import { z } from 'zod';
import { asService, isStaffRole } from '../db/index.js';
import { AppError } from '../db/errors.js';
import { sendError } from '../http/errors.js';
import { invalidRequest, rejectNul } from '../http/route.js';
import type { OperationDoc } from '../http/openapi.js';
import { DUMMY_HASH, verifyPassword } from './passwords.js';
import { SESSION_COOKIE, type Sessions } from './sessions.js';
import { LoginThrottleStore } from './login-throttle.js';
import type { SessionUser } from './session-user.js';

export const loginBody = z
  .strictObject({
    username: z.string().min(1).max(64),
    password: z.string().min(1).max(1024),
  })
  .meta({ id: 'LoginRequest' });

export const userSchema = z
  .object({
    id: z.number().int(),
    username: z.string(),
    role: z.enum(['front_desk', 'clinician', 'billing', 'manager', 'compliance']),
    providerId: z.number().int().nullable(),
  })
  .meta({ id: 'StaffUser' });

export const authDocs: OperationDoc[] = [
  {
    method: 'post', path: '/api/login', tag: 'Sign-in', summary: 'Sign in',
    description: 'Sets an HttpOnly session cookie. Wrong credentials answer 401 `invalid_credentials`; repeated failures per client and username answer 429 with Retry-After; consecutive failures against one account from any address lock it until an administrator unlocks it (a locked account answers the same 401).',
    roles: 'public', body: loginBody, response: { description: 'The signed-in staff member.', schema: userSchema }, errors: { 401: 'invalid_credentials' },
  },
  { method: 'post', path: '/api/logout', tag: 'Sign-in', summary: 'Sign out (ends the session)', roles: 'public', status: 204 },
  { method: 'get', path: '/api/me', tag: 'Sign-in', summary: 'The signed-in staff member', roles: 'staff', response: { description: 'The signed-in staff member.', schema: userSchema } },
];

interface LoginRow {
  user_id: number;
  username: string;
  role: string;
  provider_id: number | null;
  password_hash: string;
  active: boolean;
}

export interface AuthRouteOptions {
  knex: Knex;
  sessions: Sessions;
  rateLimit: { max: number; windowMs: number };
  /** Consecutive failed sign-ins, from any address, that lock an account. */
  lockoutFailures: number;
  /** The session secret: keys the throttle's digests (server/auth/login-throttle.ts). */
  secret: string;
}

const usernameKey = (req: Request) => {
  const u = (req.body as { username?: unknown } | undefined)?.username;
  return typeof u === 'string' ? u.trim().toLowerCase().slice(0, 64) : '';
};

/** One answer for every refused sign-in, so it never tells which accounts exist or are locked. */
const invalidCredentials = () =>
  new AppError(401, 'invalid_credentials', 'Wrong username or password (after repeated failures an account is locked until an administrator unlocks it).');

export function authRoutes(opts: AuthRouteOptions): Router {
  const router = Router();

  const limiter = rateLimit({
    windowMs: opts.rateLimit.windowMs,
    limit: opts.rateLimit.max,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    // Only failures count, so a member of staff who signs in and out all day is never locked out.
    skipSuccessfulRequests: true,
    // In PostgreSQL, shared by every server process (not one counter per process).
    store: new LoginThrottleStore(opts.knex, opts.secret),
    keyGenerator: (req) => `${ipKeyGenerator(req.ip ?? '')}|${usernameKey(req)}`,
    handler: (_req, res) => sendError(res, new AppError(429, 'rate_limited', 'Too many sign-in attempts; wait and try again.')),
  });

  router.post('/api/login', limiter, async (req, res) => {
    rejectNul('body', req.body);
    const parsed = loginBody.safeParse(req.body);
    if (!parsed.success) throw invalidRequest('body', parsed.error);
    const { username, password } = parsed.data;
    const { rows } = await asService(opts.knex, 'clinicpulse_auth', (trx) =>
      trx.raw<{ rows: LoginRow[] }>(
        'SELECT user_id, username, role, provider_id, password_hash, active FROM staff_login_lookup(?)',
        [username.trim().toLowerCase()],
      ),
    );
    const row = rows[0];
    const usable = row && row.active && isStaffRole(row.role);
    // Same scrypt work whether or not the account exists.
    const ok = await verifyPassword(password, usable ? row.password_hash : DUMMY_HASH);
    if (!usable) throw invalidCredentials();
    // Counted per account (audited); a locked account is refused even with the right password.
    const allowed = await asService(opts.knex, 'clinicpulse_auth', async (trx) => {
      if (!ok) {
        await trx.raw('SELECT staff_login_failed(?, ?)', [row.user_id, opts.lockoutFailures]);
        return false;
      }
      const { rows: r } = await trx.raw<{ rows: { allowed: boolean }[] }>('SELECT staff_login_succeeded(?) AS allowed', [row.user_id]);
      return r[0]!.allowed;
    });
    if (!allowed) throw invalidCredentials();
    const user: SessionUser = { id: row.user_id, username: row.username, role: row.role as SessionUser['role'], providerId: row.provider_id };
    await new Promise<void>((resolve, reject) => req.session.regenerate((err) => (err ? reject(err) : resolve())));
    req.session.userId = user.id;
    req.session.role = user.role;
    req.session.issuedAt = Date.now();
    await new Promise<void>((resolve, reject) => req.session.save((err) => (err ? reject(err) : resolve())));
    req.staffUser = user;
    res.json(user);
  });

  router.post('/api/logout', async (req, res) => {
    if (req.session?.userId !== undefined) {
      await new Promise<void>((resolve, reject) => req.session.destroy((err) => (err ? reject(err) : resolve())));
    }
    res.clearCookie(SESSION_COOKIE, { path: '/' });
    res.status(204).end();
  });

  router.get('/api/me', async (req, res) => {
    const user = await opts.sessions.currentUser(req, res);
    if (!user) throw new AppError(401, 'unauthenticated', 'Sign in first.');
    res.json(user);
  });

  return router;
}
