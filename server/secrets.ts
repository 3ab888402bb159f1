/**
 * Secrets the service needs besides the database's: the master key that wraps
 * per-patient data keys, and the session-cookie signing secret. Both come from
 * the environment; outside production a missing one is generated once into
 * DATA_DIR (mode 0600) so a developer's restarts keep working. Production never
 * generates one: a secret kept next to the data would fall with the data.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, type Config } from './config.js';

function localSecret(dataDir: string, name: string, make: () => string): { value: string; created: boolean; file: string } {
  const file = path.join(dataDir, name);
  if (existsSync(file)) return { value: readFileSync(file, 'utf8').trim(), created: false, file };
  mkdirSync(dataDir, { recursive: true });
  const value = make();
  writeFileSync(file, value + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return { value, created: true, file };
}

export interface ServiceSecrets {
  /** 64 hexadecimal characters. */
  masterKeyHex: string;
  sessionSecret: string;
}

/** Resolve the secrets; `say` receives one line per generated file. */
export function loadSecrets(config: Pick<Config, 'MASTER_KEY' | 'SESSION_SECRET' | 'DATA_DIR' | 'NODE_ENV'>, say: (line: string) => void): ServiceSecrets {
  if (config.NODE_ENV === 'production') {
    // loadConfig refuses this already; a caller that built its own config must not get a file either.
    const missing = (['MASTER_KEY', 'SESSION_SECRET'] as const).filter((k) => !config[k]);
    if (missing.length) throw new ConfigError(`Refusing to start with NODE_ENV=production: set ${missing.join(' and ')} in the environment.`);
  }
  let masterKeyHex = config.MASTER_KEY;
  if (!masterKeyHex) {
    const s = localSecret(config.DATA_DIR, 'master-key', () => randomBytes(32).toString('hex'));
    if (!/^[0-9a-fA-F]{64}$/.test(s.value)) throw new Error(`${s.file} does not hold 64 hexadecimal characters`);
    if (s.created) say(`No MASTER_KEY set: generated a development master key in ${s.file} (mode 0600). Set MASTER_KEY in production.`);
    masterKeyHex = s.value;
  }
  let sessionSecret = config.SESSION_SECRET;
  if (!sessionSecret) {
    const s = localSecret(config.DATA_DIR, 'session-secret', () => randomBytes(32).toString('base64url'));
    if (s.created) say(`No SESSION_SECRET set: generated one in ${s.file} (mode 0600).`);
    sessionSecret = s.value;
  }
  return { masterKeyHex, sessionSecret };
}
