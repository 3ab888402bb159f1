/**
 * Domain errors: what the clinic's rules refuse, in the domain's words. Repositories,
 * field encryption and the PostgreSQL error map (server/db/errors.ts) throw these; none
 * of them knows about HTTP. The edge (server/http/errors.ts, `toHttpError`) gives each
 * `kind` its status, in one place.
 */

/**
 * What sort of refusal it is, independent of any transport:
 * - `invalid`: the input breaks a rule (a malformed day, a note too long);
 * - `forbidden`: the caller's role or relation to the record does not allow it;
 * - `not_found`: no such record, or none the caller may see;
 * - `conflict`: the record's current state does not allow it (a clash, a hold, a state);
 * - `gone`: the record existed and is gone for good (an erased patient's encrypted data);
 * - `busy`: the database was busy (serialization failure, deadlock); retrying may work;
 * - `unavailable`: a prerequisite of the service is missing (the master key);
 * - `integrity`: stored data failed a check it must pass (a ciphertext that does not authenticate).
 */
export type DomainErrorKind = 'invalid' | 'forbidden' | 'not_found' | 'conflict' | 'gone' | 'busy' | 'unavailable' | 'integrity';

/** A refusal with a machine-readable code, a message for people and optional details. */
export class DomainError extends Error {
  constructor(
    readonly kind: DomainErrorKind,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

/** Input that breaks a rule, named by its field: code `invalid_request`. */
export function invalidInput(message: string, details?: unknown): DomainError {
  return new DomainError('invalid', 'invalid_request', message, details);
}

/**
 * A refusal of the request itself (bad input, not allowed, a clash), as opposed to the
 * service being busy or broken: retrying the same request later could not change it.
 */
export function isRefusal(err: DomainError): boolean {
  return err.kind !== 'busy' && err.kind !== 'unavailable' && err.kind !== 'integrity';
}
