/**
 * The sign-in rate limiter's counter, kept in PostgreSQL (login_throttle, migration
 * 20261125000060) so every server process shares it and a restart does not reset it.
 * An express-rate-limit Store: the limiter decides, this only counts. Keys are turned
 * into an HMAC under the session secret here, so the database holds neither a client
 * address nor a username, and hashing guessed pairs finds nothing without the secret.
 */
import type { IncrementResponse, Options, Store } from 'express-rate-limit';
import type { Knex } from 'knex';
import { asService, AUTH_ROLE } from '../db/index.js';
import { keyedDigest } from './keyed-digest.js';
import { throttleHit, throttleReset, throttleUndo } from '../db/repository/staff-sessions.js';

/** What login_throttle.key_digest holds for a limiter key ("address|username"). */
export const throttleDigest = (secret: string, key: string): string => keyedDigest(secret, 'login-throttle', key);

export class LoginThrottleStore implements Store {
  /** Counts are shared across processes: the limiter must not assume they are local. */
  localKeys = false;
  private windowMs = 60_000;

  constructor(
    private readonly knex: Knex,
    private readonly secret: string,
  ) {}

  private digest(key: string): string {
    return throttleDigest(this.secret, key);
  }

  init(options: Options): void {
    this.windowMs = options.windowMs;
  }

  async increment(key: string): Promise<IncrementResponse> {
    const row = await asService(this.knex, AUTH_ROLE, (trx) => throttleHit(trx, this.digest(key), this.windowMs));
    return { totalHits: row.failures, resetTime: new Date(row.window_ends_at) };
  }

  async decrement(key: string): Promise<void> {
    await asService(this.knex, AUTH_ROLE, (trx) => throttleUndo(trx, this.digest(key)));
  }

  async resetKey(key: string): Promise<void> {
    await asService(this.knex, AUTH_ROLE, (trx) => throttleReset(trx, this.digest(key)));
  }
}
