/**
 * Configuration: everything the service reads from its environment, parsed and
 * validated once at start-up. `.env` is loaded by the entry points (dotenv),
 * never here, so tests can build a config from an explicit object.
 */
import { z } from 'zod';
import { parseCron } from './ops/backup-schedule.js';

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
  /** The audit writer login's password (durable reads); by default kept in DATA_DIR. Share it between processes on one database. */
  AUDIT_WRITER_PASSWORD: z.string().min(16).optional(),
  /** Where the embedded PostgreSQL keeps its data directory. */
  DATA_DIR: z.string().default('.data'),
  /** Allow NODE_ENV=production on the embedded PostgreSQL (one host, no replica: see docs/operations.md). */
  ALLOW_EMBEDDED_DATABASE: bool,
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
  /** During a master-key rotation: the key(s) being replaced, comma-separated; they unwrap, never wrap. */
  MASTER_KEY_PREVIOUS: z
    .string()
    .regex(/^[0-9a-fA-F]{64}(,[0-9a-fA-F]{64})*$/, 'MASTER_KEY_PREVIOUS must be 64 hexadecimal characters (comma-separated if several)')
    .optional(),
  /** Signs the session cookie and keys the stored digests of session ids and throttle keys; required in production. */
  SESSION_SECRET: z.string().min(32).optional(),
  SESSION_IDLE_MINUTES: z.coerce.number().int().min(1).max(24 * 60).default(15),
  SESSION_ABSOLUTE_HOURS: z.coerce.number().int().min(1).max(72).default(12),
  /** Comma-separated origins allowed for CSRF and socket handshakes. */
  ALLOWED_ORIGINS: z.string().optional(),
  TLS_CERT: z.string().optional(),
  TLS_KEY: z.string().optional(),
  /** Set when a reverse proxy terminates TLS in front of the service. */
  TLS_TERMINATED_BY_PROXY: bool,
  /** Where `npm run backup` writes (and /metrics looks for the newest backup). */
  BACKUP_DIR: z.string().default('backups'),
  /** The clinicpulse_backup login, when its password is managed outside `npm run backup`. */
  BACKUP_DATABASE_URL: z.string().url().optional(),
  /** Scheduled backups inside the service: a five-field cron expression (server local time). */
  BACKUP_CRON: z.string().optional(),
  BACKUP_KEEP_DAILY: z.coerce.number().int().min(1).max(366).default(7),
  BACKUP_KEEP_WEEKLY: z.coerce.number().int().min(0).max(520).default(5),
  /** Bearer token for GET /metrics (without it, and without METRICS_PORT, /metrics answers 401). */
  METRICS_TOKEN: z.string().min(16, 'METRICS_TOKEN must be at least 16 characters').optional(),
  /** Serve /metrics on a listener of its own (METRICS_HOST:METRICS_PORT) instead of the main one. */
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  METRICS_HOST: z.string().default('127.0.0.1'),
  OUTBOX_RETENTION_DAYS: z.coerce.number().int().min(1).max(365).default(7),
  /** Failed sign-ins allowed per client address and username in LOGIN_RATE_LIMIT_WINDOW_MINUTES. */
  LOGIN_RATE_LIMIT: z.coerce.number().int().min(1).max(1000).default(10),
  LOGIN_RATE_LIMIT_WINDOW_MINUTES: z.coerce.number().int().min(1).max(24 * 60).default(15),
  /** Consecutive failed sign-ins against one account, from any address, that lock it until an administrator unlocks it. */
  LOGIN_LOCKOUT_FAILURES: z.coerce.number().int().min(3).max(1000).default(20),
});

export type Config = z.infer<typeof schema>;

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty value (`MASTER_KEY=` in .env) means "not set", not "set to nothing".
  const parsed = schema.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '')));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const config = parsed.data;
  if (config.BACKUP_CRON) {
    try {
      parseCron(config.BACKUP_CRON);
    } catch (err) {
      throw new ConfigError(`Invalid configuration:\n  ${(err as Error).message}`);
    }
  }
  if (Boolean(config.TLS_CERT) !== Boolean(config.TLS_KEY)) {
    throw new ConfigError('Invalid configuration:\n  TLS_CERT and TLS_KEY must be set together.');
  }
  if (config.NODE_ENV === 'production') {
    const missing: string[] = [];
    if (!config.MASTER_KEY) missing.push('  MASTER_KEY: required in production (64 hex characters; keep it outside the database and its backups).');
    if (!config.SESSION_SECRET) {
      missing.push('  SESSION_SECRET: required in production (at least 32 characters, e.g. `openssl rand -base64 32`; the same on every process, never stored next to the data).');
    }
    if (!config.TLS_CERT && !config.TLS_TERMINATED_BY_PROXY) {
      missing.push('  TLS: set TLS_CERT and TLS_KEY, or TLS_TERMINATED_BY_PROXY=true when a reverse proxy terminates TLS.');
    }
    if (!config.DATABASE_URL && !config.ALLOW_EMBEDDED_DATABASE) {
      missing.push(
        '  DATABASE_URL: production runs on a PostgreSQL server you operate (backups, replicas); set DATABASE_URL, or ALLOW_EMBEDDED_DATABASE=true to accept the embedded one on this host.',
      );
    }
    if (config.DEMO_SEED) missing.push('  DEMO_SEED: the demo data and its well-known accounts are never loaded in production.');
    if (missing.length) throw new ConfigError(`Refusing to start with NODE_ENV=production:\n${missing.join('\n')}`);
  }
  return config;
}

/** Whether the browser reaches the service over TLS (its own certificate or a proxy's). */
/** MASTER_KEY_PREVIOUS as a list. */
export function previousMasterKeys(config: Pick<Config, 'MASTER_KEY_PREVIOUS'>): string[] {
  return config.MASTER_KEY_PREVIOUS ? config.MASTER_KEY_PREVIOUS.split(',') : [];
}

export function servesTls(config: Pick<Config, 'TLS_CERT' | 'TLS_TERMINATED_BY_PROXY'>): boolean {
  return Boolean(config.TLS_CERT) || config.TLS_TERMINATED_BY_PROXY;
}

/**
 * Origins allowed to send state-changing requests with a session cookie (and to open
 * sockets): ALLOWED_ORIGINS, or else the service's own address and its localhost alias.
 */
export function allowedOrigins(config: Pick<Config, 'ALLOWED_ORIGINS' | 'HOST' | 'PORT' | 'TLS_CERT' | 'TLS_TERMINATED_BY_PROXY'>, port = config.PORT): string[] {
  if (config.ALLOWED_ORIGINS) {
    return config.ALLOWED_ORIGINS.split(',').map((o) => o.trim().replace(/\/+$/, '')).filter(Boolean);
  }
  const scheme = servesTls(config) ? 'https' : 'http';
  const hosts = new Set([config.HOST === '0.0.0.0' || config.HOST === '::' ? '127.0.0.1' : config.HOST, 'localhost', '127.0.0.1']);
  return [...hosts].map((h) => `${scheme}://${h.includes(':') ? `[${h}]` : h}:${port}`);
}
