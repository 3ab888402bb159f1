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
import type { Request, RequestHandler, Response } from 'express';
import { rateLimit, ipKeyGenerator } from 'express-rate-limit';
import type { Knex } from 'knex';
import { asService, AUTH_ROLE, isStaffRole } from '../db/index.js';
import { AppError, sendError } from '../http/errors.js';
import { publicRoute } from '../http/route.js';
import { loginFailed, loginLookup, loginSucceeded } from '../db/repository/staff-sessions.js';
import { DUMMY_HASH, verifyPassword } from './passwords.js';
import { SESSION_COOKIE, type Sessions } from './sessions.js';
import { LoginThrottleStore } from './login-throttle.js';
import type { SessionUser } from './session-user.js';
import { loginBody, userSchema } from './schemas.js';

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

/** What the sign-in routes need from the running service (see authServices). */
export interface AuthServices {
  knex: Knex;
  sessions: Sessions;
  lockoutFailures: number;
  /** Per client address and username; only failures count. */
  limiter: RequestHandler;
}

export function authServices(opts: AuthRouteOptions): AuthServices {
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
  return { knex: opts.knex, sessions: opts.sessions, lockoutFailures: opts.lockoutFailures, limiter };
}

export const authRoutes = [
  publicRoute({
    method: 'post',
    path: '/api/login',
    tag: 'Sign-in',
    summary: 'Sign in',
    description:
      'Sets an HttpOnly session cookie. Wrong credentials answer 401 `invalid_credentials`; repeated failures per client and username answer 429 with Retry-After; consecutive failures against one account from any address lock it until an administrator unlocks it (a locked account answers the same 401).',
    roles: 'public',
    body: loginBody,
    response: { description: 'The signed-in staff member.', schema: userSchema },
    errors: { 401: 'invalid_credentials' },
    before: (s: AuthServices) => s.limiter,
    handler: async ({ req, body, services }) => {
      const { username, password } = body;
      const { knex, lockoutFailures } = services;
      const row = await asService(knex, AUTH_ROLE, (trx) => loginLookup(trx, username.trim().toLowerCase()));
      const usable = row && row.active && isStaffRole(row.role);
      // Same scrypt work whether or not the account exists.
      const ok = await verifyPassword(password, usable ? row.password_hash : DUMMY_HASH);
      if (!usable) throw invalidCredentials();
      // Counted per account (audited); a locked account is refused even with the right password.
      const allowed = await asService(knex, AUTH_ROLE, async (trx) => {
        if (ok) return loginSucceeded(trx, row.user_id);
        await loginFailed(trx, row.user_id, lockoutFailures);
        return false;
      });
      if (!allowed) throw invalidCredentials();
      const user: SessionUser = { id: row.user_id, username: row.username, role: row.role as SessionUser['role'], providerId: row.provider_id };
      await new Promise<void>((resolve, reject) => req.session.regenerate((err) => (err ? reject(err) : resolve())));
      req.session.userId = user.id;
      req.session.role = user.role;
      req.session.issuedAt = Date.now();
      await new Promise<void>((resolve, reject) => req.session.save((err) => (err ? reject(err) : resolve())));
      req.staffUser = user;
      return user;
    },
  }),
  publicRoute({
    method: 'post',
    path: '/api/logout',
    tag: 'Sign-in',
    summary: 'Sign out (ends the session)',
    roles: 'public',
    status: 204,
    handler: async ({ req, res }: { req: Request; res: Response }) => {
      if (req.session?.userId !== undefined) {
        await new Promise<void>((resolve, reject) => req.session.destroy((err) => (err ? reject(err) : resolve())));
      }
      res.clearCookie(SESSION_COOKIE, { path: '/' });
    },
  }),
  publicRoute({
    method: 'get',
    path: '/api/me',
    tag: 'Sign-in',
    summary: 'The signed-in staff member',
    roles: 'staff',
    response: { description: 'The signed-in staff member.', schema: userSchema },
    handler: async ({ req, res, services }: { req: Request; res: Response; services: AuthServices }) => {
      const user = await services.sessions.currentUser(req, res, { keepAlive: true });
      if (!user) throw new AppError(401, 'unauthenticated', 'Sign in first.');
      return user;
    },
  }),
];
