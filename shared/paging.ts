/**
 * How list endpoints parse `limit` (and `offset`), defined once for every route.
 * Server-side (zod); the client only sends the numbers.
 */
import { z } from 'zod';

/**
 * A list endpoint's `limit` query parameter: a whole number from 1 to `max`, `fallback`
 * when absent; anything else is a 400 naming the field with the same message.
 */
export function limitParam(max: number, fallback: number) {
  const message = `must be a whole number from 1 to ${max}`;
  return z
    .string()
    .regex(new RegExp(`^[0-9]{1,${String(max).length}}$`), message)
    .transform(Number)
    .pipe(z.number().min(1, message).max(max, message))
    .default(fallback);
}

/** `offset`: rows to skip, a whole number from 0 to `max`, 0 when absent. */
export function offsetParam(max: number) {
  const message = `must be a whole number from 0 to ${max}`;
  return z
    .string()
    .regex(new RegExp(`^[0-9]{1,${String(max).length}}$`), message)
    .transform(Number)
    .pipe(z.number().min(0, message).max(max, message))
    .default(0);
}
