/**
 * The one error middleware: every failure leaves the API as
 * `{"error": {"code", "message", "details"?}}`. Client mistakes (validation,
 * malformed or oversized bodies, domain errors thrown below the edge, database refusals
 * mapped by fromPgError) get a 4xx naming what was wrong; anything else is a 500 carrying
 * only an error id, which is logged with the cause so an operator can find it.
 *
 * The one place a domain error (server/domain/errors.ts) gets its HTTP status.
 */
import { randomUUID } from 'node:crypto';
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { fromPgError } from '../db/errors.js';
import { DomainError, type DomainErrorKind } from '../domain/errors.js';

/** An error of the HTTP edge itself: status, machine-readable code, human message. */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

/** The status of each kind of domain error. */
const statusOf: Record<DomainErrorKind, number> = {
  invalid: 400,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  gone: 410,
  integrity: 500,
  busy: 503,
  unavailable: 503,
};

/** A domain error as the API answers it: same code, message and details, the kind's status. */
export function toHttpError(err: DomainError): AppError {
  return new AppError(statusOf[err.kind], err.code, err.message, err.details);
}

/** An error a client can act on, as the API answers it; undefined for anything else (a 500). */
export function knownError(err: unknown): AppError | undefined {
  if (err instanceof AppError) return err;
  if (err instanceof DomainError) return toHttpError(err);
  const refusal = fromPgError(err);
  if (refusal) return toHttpError(refusal);
  return err instanceof Error ? (fromBodyParser(err) ?? fromHttpError(err)) : undefined;
}

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown; errorId?: string };
}

export function sendError(res: Response, err: AppError): void {
  const body: ErrorBody = { error: { code: err.code, message: err.message } };
  if (err.details !== undefined) body.error.details = err.details;
  res.status(err.status).json(body);
}

export const notFound = (message = 'No such resource.') => new AppError(404, 'not_found', message);
export const forbidden = (message = 'Your role may not do that.') => new AppError(403, 'forbidden', message);

/** Errors raised by body-parser (express.json) carry a `type` and a `status`. */
interface BodyParserError extends Error {
  type?: string;
  status?: number;
  expose?: boolean;
}

function fromBodyParser(err: BodyParserError): AppError | undefined {
  switch (err.type) {
    case 'entity.parse.failed':
      return new AppError(400, 'invalid_request', 'The request body is not valid JSON.');
    case 'entity.too.large':
      return new AppError(413, 'payload_too_large', 'The request body is too large.');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError(415, 'unsupported_media_type', 'Send the body as UTF-8 JSON.');
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
    case 'parameters.too.many':
      return new AppError(400, 'invalid_request', 'The request body could not be read.');
    default:
      return undefined;
  }
}

/** Express's own URI decoding failures (e.g. `/api/patients/%E0`) arrive as a 400 with no type. */
function fromHttpError(err: BodyParserError): AppError | undefined {
  if (typeof err.status === 'number' && err.status >= 400 && err.status < 500 && err.expose !== false) {
    return new AppError(err.status, err.status === 404 ? 'not_found' : 'invalid_request', 'The request could not be understood.');
  }
  return undefined;
}

export const apiNotFound: RequestHandler = (_req, _res, next) => {
  next(new AppError(404, 'not_found', 'No such endpoint.'));
};

/**
 * Build the error middleware. `log` receives the error id and the cause of every 500;
 * nothing about the cause reaches the client.
 */
export function errorHandler(log: (fields: { errorId: string; err: unknown }) => void): ErrorRequestHandler {
  return (err: unknown, _req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const known = knownError(err);
    if (known) {
      sendError(res, known);
      return;
    }
    const errorId = randomUUID();
    log({ errorId, err });
    res.status(500).json({ error: { code: 'internal', message: 'Something went wrong on our side. Quote the error id when reporting it.', errorId } });
  };
}

/**
 * Requests Node rejects before Express sees them (headers or URL too large, malformed
 * HTTP) still get the API's error shape instead of an empty body.
 */
export function answerClientErrors(server: import('node:http').Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: import('node:stream').Duplex) => {
    if (!socket.writable || err.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const [status, text, code, message] =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large', 'headers_too_large', 'The request line or headers are too large.']
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'Request Timeout', 'request_timeout', 'The request took too long to arrive.']
          : [400, 'Bad Request', 'invalid_request', 'The request is not valid HTTP.'];
    const body = JSON.stringify({ error: { code, message } });
    socket.end(
      `HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}
