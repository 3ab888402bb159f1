/**
 * How list endpoints parse `limit` and `offset`, defined once for every route.
 * Server-side (zod); the client only sends the numbers.
 */
import { z } from 'zod';

/** A whole-number query parameter from `min` to `max`, `fallback` when absent; anything else is a 400 naming the field. */
function wholeNumberParam(min: number, max: number, fallback: number) {
  const message = `must be a whole number from ${min} to ${max}`;
  return z
    .string()
    .regex(new RegExp(`^[0-9]{1,${String(max).length}}$`), message)
    .transform(Number)
    .pipe(z.number().min(min, message).max(max, message))
    .default(fallback);
}

/** A list endpoint's `limit`: 1 to `max`, `fallback` when absent. */
export const limitParam = (max: number, fallback: number) => wholeNumberParam(1, max, fallback);

/** `offset`: rows to skip, 0 to `max`, 0 when absent. */
export const offsetParam = (max: number) => wholeNumberParam(0, max, 0);
