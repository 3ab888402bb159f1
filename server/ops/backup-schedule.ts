/**
 * Scheduled backups inside the service (optional): BACKUP_CRON, a five-field cron
 * expression in the clinic's server time (minute hour day-of-month month day-of-week;
 * `*`, lists, ranges and steps), runs `npm run backup`'s work; afterwards backups
 * beyond BACKUP_KEEP_DAILY days (newest of each day) and BACKUP_KEEP_WEEKLY weeks
 * (newest of each ISO week) are deleted, all three files of each.
 */
import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { readManifest } from './backup-files.js';

const FIELDS: [number, number][] = [
  [0, 59],
  [0, 23],
  [1, 31],
  [1, 12],
  [0, 7],
];

export class CronError extends Error {}

/** The allowed values of each of the five fields. */
export function parseCron(expr: string): Set<number>[] {
  const parts = expr.trim().split(/\s+/);
  if (parts.length !== 5) throw new CronError(`BACKUP_CRON needs five fields (minute hour day month weekday), got "${expr}"`);
  return parts.map((part, i) => {
    const [lo, hi] = FIELDS[i]!;
    const out = new Set<number>();
    for (const item of part.split(',')) {
      const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(item);
      if (!m) throw new CronError(`BACKUP_CRON: cannot read "${item}"`);
      const from = m[1] === '*' ? lo : Number(m[2]);
      const to = m[1] === '*' ? hi : m[3] !== undefined ? Number(m[3]) : m[4] !== undefined ? hi : from;
      const step = m[4] !== undefined ? Number(m[4]) : 1;
      if (from < lo || to > hi || from > to || step < 1) throw new CronError(`BACKUP_CRON: "${item}" is out of range ${lo}-${hi}`);
      for (let v = from; v <= to; v += step) out.add(i === 4 && v === 7 ? 0 : v);
    }
    return out;
  });
}

/** The first minute strictly after `after` that the expression matches (local time). */
export function nextRun(fields: Set<number>[], after: Date): Date {
  const t = new Date(after.getTime());
  t.setSeconds(0, 0);
  t.setMinutes(t.getMinutes() + 1);
  const [min, hour, dom, month, dow] = fields as [Set<number>, Set<number>, Set<number>, Set<number>, Set<number>];
  for (let i = 0; i < 366 * 24 * 60; i++) {
    if (month.has(t.getMonth() + 1) && dom.has(t.getDate()) && dow.has(t.getDay()) && hour.has(t.getHours()) && min.has(t.getMinutes())) return t;
    t.setMinutes(t.getMinutes() + 1);
  }
  throw new CronError('BACKUP_CRON never matches');
}

const isoWeek = (d: Date) => {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const day = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - day);
  const year = t.getUTCFullYear();
  return `${year}-W${Math.ceil(((t.getTime() - Date.UTC(year, 0, 1)) / 86_400_000 + 1) / 7)}`;
};

/**
 * Which backups in `dir` to delete: everything but the newest of each of the last
 * `keepDaily` days and of each of the last `keepWeekly` ISO weeks (UTC), and never the newest.
 */
export function backupsToPrune(dir: string, keepDaily: number, keepWeekly: number, now = new Date()): string[] {
  const all = readdirSync(dir)
    .filter((f) => f.endsWith('.manifest.json'))
    .flatMap((f) => {
      try {
        return [{ base: f.slice(0, -'.manifest.json'.length), at: new Date(readManifest(path.join(dir, f)).createdAt) }];
      } catch {
        return [];
      }
    })
    .sort((a, b) => b.at.getTime() - a.at.getTime());
  const keep = new Set<string>(all.slice(0, 1).map((b) => b.base));
  const days = new Set<string>();
  const weeks = new Set<string>();
  for (const b of all) {
    const ageDays = (now.getTime() - b.at.getTime()) / 86_400_000;
    const day = b.at.toISOString().slice(0, 10);
    const week = isoWeek(b.at);
    if (ageDays < keepDaily && !days.has(day)) {
      days.add(day);
      keep.add(b.base);
    }
    if (ageDays < keepWeekly * 7 && !weeks.has(week)) {
      weeks.add(week);
      keep.add(b.base);
    }
  }
  return all.filter((b) => !keep.has(b.base)).map((b) => b.base);
}

export function pruneBackups(dir: string, keepDaily: number, keepWeekly: number): string[] {
  const gone = backupsToPrune(dir, keepDaily, keepWeekly);
  for (const base of gone) for (const ext of ['.manifest.json', '.dump', '.erasures.json']) rmSync(path.join(dir, base + ext), { force: true });
  return gone;
}

/** Run `backup` at every BACKUP_CRON time until stopped; errors are reported, never thrown. */
export function scheduleBackups(
  cron: string,
  backup: () => Promise<void>,
  report: { done(): void; failed(err: unknown): void },
): { stop(): void; next(): Date } {
  const fields = parseCron(cron);
  let timer: NodeJS.Timeout | undefined;
  let nextAt = nextRun(fields, new Date());
  const arm = () => {
    nextAt = nextRun(fields, new Date());
    // setTimeout caps at ~24.8 days; re-arm in steps for sparse schedules.
    timer = setTimeout(tick, Math.min(nextAt.getTime() - Date.now(), 2 ** 31 - 1));
    timer.unref();
  };
  const tick = () => {
    if (Date.now() + 1000 < nextAt.getTime()) return arm();
    backup().then(() => report.done(), (err: unknown) => report.failed(err)).finally(arm);
  };
  arm();
  return { stop: () => timer && clearTimeout(timer), next: () => nextAt };
}
