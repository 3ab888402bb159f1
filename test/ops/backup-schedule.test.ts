/**
 * Scheduled backups: BACKUP_CRON is read as cron reads it (and a wrong one refuses to
 * start), the next run is the next matching minute, the schedule runs the backup, and
 * retention keeps the newest backup of each of the last BACKUP_KEEP_DAILY days and
 * BACKUP_KEEP_WEEKLY weeks and deletes the rest, all three files of each.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../server/config.js';
import { MANIFEST_FORMAT } from '../../server/ops/backup-files.js';
import { backupsToPrune, nextRun, parseCron, pruneBackups, scheduleBackups } from '../../server/ops/backup-schedule.js';

afterEach(() => vi.useRealTimers());

describe('BACKUP_CRON', () => {
  it('reads lists, ranges and steps, and finds the next matching minute', () => {
    const f = parseCron('30 2 * * *');
    expect(nextRun(f, new Date(2026, 11, 6, 1, 0))).toEqual(new Date(2026, 11, 6, 2, 30));
    expect(nextRun(f, new Date(2026, 11, 6, 2, 30))).toEqual(new Date(2026, 11, 7, 2, 30));
    const weekdays = parseCron('*/15 8-17 * * 1-5');
    // 2026-12-05 is a Saturday: the next run is Monday 08:00.
    expect(nextRun(weekdays, new Date(2026, 11, 5, 12, 0))).toEqual(new Date(2026, 11, 7, 8, 0));
    expect(nextRun(weekdays, new Date(2026, 11, 7, 8, 0))).toEqual(new Date(2026, 11, 7, 8, 15));
    expect(nextRun(parseCron('0 3 * * 7'), new Date(2026, 11, 7, 0, 0))).toEqual(new Date(2026, 11, 13, 3, 0));
  });

  it('a wrong expression refuses to start, saying why', () => {
    expect(() => loadConfig({ BACKUP_CRON: '61 * * * *' })).toThrow(ConfigError);
    expect(() => loadConfig({ BACKUP_CRON: 'every night' })).toThrow(/five fields/);
    expect(loadConfig({ BACKUP_CRON: '0 2 * * *' }).BACKUP_KEEP_DAILY).toBe(7);
  });

  it('runs the backup at the scheduled minute and again at the next', async () => {
    vi.useFakeTimers({ now: new Date(2026, 11, 6, 1, 59, 30) });
    const runs: Date[] = [];
    const s = scheduleBackups('0 2 * * *', async () => void runs.push(new Date()), { done: () => {}, failed: () => {} });
    expect(s.next()).toEqual(new Date(2026, 11, 6, 2, 0));
    await vi.advanceTimersByTimeAsync(31_000);
    expect(runs).toEqual([new Date(2026, 11, 6, 2, 0, 0)]);
    await vi.advanceTimersByTimeAsync(24 * 3_600_000);
    expect(runs).toHaveLength(2);
    s.stop();
  });
});

describe('retention', () => {
  it('keeps the newest of each recent day and week, deletes the rest with all their files', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'clinicpulse-retention-'));
    try {
      const now = new Date('2026-12-06T12:00:00Z');
      const make = (iso: string) => {
        const base = `clinicpulse-${iso.replace(/[-:]/g, '')}`;
        writeFileSync(path.join(dir, `${base}.manifest.json`), JSON.stringify({ format: MANIFEST_FORMAT, createdAt: iso }));
        writeFileSync(path.join(dir, `${base}.dump`), 'x');
        writeFileSync(path.join(dir, `${base}.erasures.json`), '{}');
        return base;
      };
      const today2 = make('2026-12-06T02:00:00Z');
      const today1 = make('2026-12-06T01:00:00Z'); // an older one the same day
      const yesterday = make('2026-12-05T02:00:00Z');
      const tenDaysAgo = make('2026-11-26T02:00:00Z'); // outside 3 days, newest of its week
      const elevenDaysAgo = make('2026-11-25T02:00:00Z'); // same week, older
      const old = make('2026-09-01T02:00:00Z'); // outside both
      expect(backupsToPrune(dir, 3, 4, now).sort()).toEqual([today1, elevenDaysAgo, old].sort());
      pruneBackups(dir, 3, 4);
      // pruneBackups uses the real clock: everything from 2026 is older than that, but the newest is always kept.
      expect(readdirSync(dir).some((f) => f.startsWith(today2))).toBe(true);
      expect(existsSync(path.join(dir, `${old}.dump`))).toBe(false);
      expect(existsSync(path.join(dir, `${old}.erasures.json`))).toBe(false);
      void yesterday;
      void tenDaysAgo;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
