/**
 * Log lines a person can read: in development on a terminal, each pino JSON record
 * becomes one line, `14:02:07 INFO  message key=value …`, a request becomes
 * `GET /api/providers 200 12 ms`, and an error carries its type and message (the
 * stack stays in the JSON logs of production). Anything that is not a pino record
 * passes through unchanged.
 */
const LEVELS: Record<number, { name: string; color: number }> = {
  10: { name: 'TRACE', color: 90 },
  20: { name: 'DEBUG', color: 90 },
  30: { name: 'INFO ', color: 36 },
  40: { name: 'WARN ', color: 33 },
  50: { name: 'ERROR', color: 31 },
  60: { name: 'FATAL', color: 35 },
};
const SKIP = new Set(['level', 'time', 'msg', 'service', 'pid', 'hostname', 'req', 'res', 'responseTime', 'err', 'reqId']);

function scalar(v: unknown): string {
  if (typeof v === 'string') return /[\s"=]/.test(v) ? JSON.stringify(v) : v;
  if (typeof v === 'object') return JSON.stringify(v);
  return typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' || v === undefined ? String(v) : typeof v;
}

/** Format one pino JSON line; returns it unchanged when it is not one. */
export function prettyLine(line: string, color = false): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  if (typeof rec.level !== 'number' || typeof rec.time !== 'number') return line;
  const level = LEVELS[rec.level] ?? { name: String(rec.level), color: 0 };
  const time = new Date(rec.time).toTimeString().slice(0, 8);
  const paint = (s: string, c: number) => (color ? `\x1b[${c}m${s}\x1b[0m` : s);
  const parts: string[] = [];
  const req = rec.req as { method?: string; path?: string } | undefined;
  const res = rec.res as { statusCode?: number } | undefined;
  if (req?.method && res?.statusCode !== undefined) {
    parts.push(`${req.method} ${req.path ?? ''} ${res.statusCode}${typeof rec.responseTime === 'number' ? ` ${rec.responseTime} ms` : ''}`);
  } else if (rec.msg !== undefined) {
    parts.push(typeof rec.msg === 'string' ? rec.msg : JSON.stringify(rec.msg));
  }
  const err = rec.err as { type?: string; message?: string; code?: string } | undefined;
  if (err) parts.push(`${err.type ?? 'Error'}${err.code ? ` ${err.code}` : ''}: ${err.message ?? ''}`);
  for (const [k, v] of Object.entries(rec)) if (!SKIP.has(k) && v !== undefined) parts.push(`${k}=${scalar(v)}`);
  return `${paint(time, 90)} ${paint(level.name, level.color)} ${parts.join(' ')}\n`;
}

/** A pino destination writing pretty lines to `out` (standard output by default). */
export function prettyDestination(out: NodeJS.WritableStream = process.stdout, color = Boolean((out as { isTTY?: boolean }).isTTY)): { write(line: string): void } {
  return { write: (line: string) => void out.write(prettyLine(line, color)) };
}
