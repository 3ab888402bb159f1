/**
 * Small per-request middleware: request ids, the CSRF origin check, and the
 * JSON-only rule for request bodies.
 */
import { randomUUID } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { AppError } from './errors.js';

const SAFE_ID = /^[A-Za-z0-9._:-]{8,100}$/;

/** Reuse a well-formed incoming x-request-id (from a proxy), else make one; echo it back. */
export const requestId: RequestHandler = (req, res, next) => {
  const incoming = req.get('x-request-id');
  const id = incoming && SAFE_ID.test(incoming) ? incoming : randomUUID();
  (req as Request & { id: string }).id = id;
  res.setHeader('x-request-id', id);
  next();
};

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function originOf(value: string | undefined): string | undefined {
  if (!value) return undefined;
  try {
    const u = new URL(value);
    return u.origin === 'null' ? 'null' : u.origin;
  } catch {
    return 'invalid';
  }
}

/**
 * CSRF defence by origin: a state-changing request must not come from a page on
 * another origin. Browsers send Origin on cross-site POSTs, so: if Origin (or,
 * failing that, Referer) is present it must be allowed; if neither is present, the
 * request is refused only when it carries a cookie (a non-browser client without
 * a session, e.g. curl signing in, has nothing to forge).
 */
export function csrfOriginCheck(allowed: readonly string[]): RequestHandler {
  const allow = new Set(allowed.map((o) => o.toLowerCase()));
  return (req, _res, next) => {
    if (SAFE_METHODS.has(req.method)) return next();
    const origin = originOf(req.get('origin')) ?? originOf(req.get('referer'));
    if (origin ? allow.has(origin.toLowerCase()) : !req.get('cookie')) return next();
    next(new AppError(403, 'csrf_failed', 'This request did not come from an allowed origin.'));
  };
}

/** A request with a body must declare JSON; anything else is 415 before parsing. */
export const requireJsonBody: RequestHandler = (req, _res, next) => {
  const hasBody = req.get('transfer-encoding') !== undefined || Number(req.get('content-length') ?? 0) > 0;
  if (!hasBody || SAFE_METHODS.has(req.method) || req.is('application/json')) return next();
  next(new AppError(415, 'unsupported_media_type', 'Send the request body as application/json.'));
};
