/**
 * Clinic time. Every time and every "today" on every screen is in the clinic's zone (from
 * GET /api/clinic), never the browser's; a screen labels times with the zone when the
 * browser's differs. The server's clock also corrects a browser clock that is off.
 */
import type { Clinic } from '../../../shared/api-types.js';

const pad = (n: number) => String(n).padStart(2, '0');

export class ClinicClock {
  readonly timeZone: string;
  readonly slotMinutes: number;
  /** Server clock minus browser clock, ms. */
  private readonly skew: number;
  private readonly parts: Intl.DateTimeFormat;
  private readonly dayLabel: Intl.DateTimeFormat;
  private readonly zoneName: Intl.DateTimeFormat;
  /** True when the browser's zone is not the clinic's (then times are labelled with the zone). */
  readonly browserDiffers: boolean;

  constructor(clinic: Pick<Clinic, 'timeZone' | 'slotMinutes' | 'now'>) {
    this.timeZone = clinic.timeZone;
    this.slotMinutes = clinic.slotMinutes;
    this.skew = Date.parse(clinic.now) - Date.now();
    this.parts = new Intl.DateTimeFormat('en-US', {
      timeZone: this.timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
    this.dayLabel = new Intl.DateTimeFormat('en-US', { timeZone: 'UTC', weekday: 'long', year: 'numeric', month: 'long', day: 'numeric' });
    this.zoneName = new Intl.DateTimeFormat('en-US', { timeZone: this.timeZone, timeZoneName: 'short' });
    this.browserDiffers = Intl.DateTimeFormat().resolvedOptions().timeZone !== this.timeZone;
  }

  now(): number {
    return Date.now() + this.skew;
  }

  /** Instants already converted (Intl formatting is the grid's main cost when a day of 300 providers re-renders). */
  private readonly wallCache = new Map<string, { date: string; minutes: number; hh: string; mm: string }>();

  /** Wall-clock fields of an instant in the clinic's zone. */
  wall(t: number | string): { date: string; minutes: number; hh: string; mm: string } {
    if (typeof t === 'string') {
      let w = this.wallCache.get(t);
      if (!w) {
        if (this.wallCache.size > 50_000) this.wallCache.clear();
        w = this.wallOf(Date.parse(t));
        this.wallCache.set(t, w);
      }
      return w;
    }
    return this.wallOf(t);
  }

  private wallOf(ms: number): { date: string; minutes: number; hh: string; mm: string } {
    const p: Record<string, string> = {};
    for (const x of this.parts.formatToParts(new Date(ms))) p[x.type] = x.value;
    const hour = Number(p.hour) % 24;
    return { date: `${p.year}-${p.month}-${p.day}`, minutes: hour * 60 + Number(p.minute), hh: pad(hour), mm: p.minute! };
  }

  today(): string {
    return this.wall(this.now()).date;
  }

  /** 'HH:MM' clinic time of an instant. */
  time(t: number | string): string {
    const w = this.wall(t);
    return `${w.hh}:${w.mm}`;
  }

  /** The zone's short name at an instant ('EST' in January, 'EDT' in July for New York). */
  zoneAt(t: number | string): string {
    const at = new Date(typeof t === 'string' ? Date.parse(t) : t);
    return this.zoneName.formatToParts(at).find((p) => p.type === 'timeZoneName')?.value ?? this.timeZone;
  }

  /** The zone's short name now (it changes at the DST switch while a page stays open). */
  get zoneLabel(): string {
    return this.zoneAt(this.now());
  }

  /** The zone's short name on a clinic date (at noon): the label for times entered for that day. */
  zoneOn(date: string): string {
    return this.zoneAt(this.instant(date, 12 * 60));
  }

  /** ' (EDT)' after a label of times on clinic date `date` when the browser's zone differs; '' otherwise. */
  zoneNoteOn(date: string): string {
    return this.browserDiffers ? ` (${this.zoneOn(date)})` : '';
  }

  /** ' (EDT)' after a time at instant `t` when the browser's zone differs; '' otherwise. */
  zoneNoteAt(t: number | string): string {
    return this.browserDiffers ? ` (${this.zoneAt(t)})` : '';
  }

  /** 'HH:MM' plus the zone at that instant when the browser's differs (for prose and announcements). */
  timeLabelled(t: number | string): string {
    return this.browserDiffers ? `${this.time(t)} ${this.zoneAt(t)}` : this.time(t);
  }

  /** 'Tuesday, April 6, 2027' for a clinic date. */
  longDate(date: string): string {
    return this.dayLabel.format(new Date(`${date}T12:00:00Z`));
  }

  /** The instant of clinic-local `date` at `minutes` after midnight (wall clock), as ISO UTC. */
  instant(date: string, minutes: number): string {
    const [y, m, d] = date.split('-').map(Number) as [number, number, number];
    const wallAsUtc = Date.UTC(y, m - 1, d, 0, minutes);
    // Offset of the zone at a guess, then once more at the corrected instant (DST edges).
    let t = wallAsUtc - this.offset(wallAsUtc);
    t = wallAsUtc - this.offset(t);
    return new Date(t).toISOString();
  }

  private offset(t: number): number {
    const w = this.wall(t);
    const [y, m, d] = w.date.split('-').map(Number) as [number, number, number];
    return Date.UTC(y, m - 1, d, 0, w.minutes) - Math.floor(t / 60_000) * 60_000;
  }
}

/** 'YYYY-MM-DD' ± days (calendar arithmetic, no zone involved). */
export function addDays(date: string, days: number): string {
  const t = new Date(`${date}T00:00:00Z`);
  t.setUTCDate(t.getUTCDate() + days);
  return t.toISOString().slice(0, 10);
}

/** ISO weekday of a calendar date, 1 = Monday … 7 = Sunday. */
export function isoWeekday(date: string): number {
  const d = new Date(`${date}T00:00:00Z`).getUTCDay();
  return d === 0 ? 7 : d;
}

export const hhmm = (minutes: number) => `${pad(Math.floor(minutes / 60) % 24)}:${pad(minutes % 60)}`;
export const toMinutes = (hm: string) => {
  const [h, m] = hm.split(':').map(Number) as [number, number];
  return h * 60 + m;
};
