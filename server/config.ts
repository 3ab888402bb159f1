/**
 * Configuration: everything the service reads from its environment, parsed and
 * validated once at start-up. `.env` is loaded by the entry points (dotenv),
 * never here, so tests can build a config from an explicit object.
 */
import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', ''])
  .optional()
  .transform((v) => v === 'true' || v === '1');

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** A PostgreSQL server to use instead of the embedded one. */
  DATABASE_URL: z.string().url().optional(),
  /** The service's own login (role clinicpulse_app) when DATABASE_URL's password file is not wanted. */
  APP_DATABASE_URL: z.string().url().optional(),
  /** Where the embedded PostgreSQL keeps its data directory. */
  DATA_DIR: z.string().default('.data'),
  /** Port of the embedded PostgreSQL. */
  EMBEDDED_PG_PORT: z.coerce.number().int().min(1).max(65535).default(54329),
  /** Load the demo seed into an empty database (never in production). */
  DEMO_SEED: bool,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Master key (32 bytes as 64 hex chars) wrapping per-patient data keys; never stored in the database. */
  MASTER_KEY: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'MASTER_KEY must be 64 hexadecimal characters (32 bytes)')
    .optional(),
  SESSION_SECRET: z.string().min(32).optional(),
  SESSION_IDLE_MINUTES: z.coerce.number().int().min(1).max(24 * 60).default(15),
  SESSION_ABSOLUTE_HOURS: z.coerce.number().int().min(1).max(72).default(12),
  /** Comma-separated origins allowed for CSRF and socket handshakes. */
  ALLOWED_ORIGINS: z.string().optional(),
  TLS_CERT: z.string().optional(),
  TLS_KEY: z.string().optional(),
  /** Set when a reverse proxy terminates TLS in front of the service. */
  TLS_TERMINATED_BY_PROXY: bool,
  OUTBOX_RETENTION_DAYS: z.coerce.number().int().min(1).max(365).default(7),
});

export type Config = z.infer<typeof schema>;

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}
