/**
 * Clinic-local calendar arithmetic for generated schedules. Days are numbered like
 * `Date.UTC(y, m, d) / 86400000` of the clinic's wall calendar; instants are epoch
 * minutes. Working hours never span the 01:00-03:00 DST switch, so one UTC offset
 * per local day (taken at local noon) is exact for every appointment of that day.
 */

const MINUTES_PER_DAY = 1440;

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  return new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
  });
}

export class ClinicCalendar {
  private readonly fmt: Intl.DateTimeFormat;
  private readonly offsets = new Map<number, number>();

  constructor(readonly timeZone: string) {
    this.fmt = formatterFor(timeZone);
  }

  /** The wall-clock reading at an instant, as epoch minutes of that reading. */
  private wallMinutes(utcMs: number): number {
    const parts: Record<string, number> = {};
    for (const p of this.fmt.formatToParts(new Date(utcMs))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
    return Date.UTC(parts.year!, parts.month! - 1, parts.day, parts.hour, parts.minute) / 60000;
  }

  /** Local minus UTC, in minutes, on a local day (at local noon). */
  offsetOnDay(day: number): number {
    let off = this.offsets.get(day);
    if (off === undefined) {
      const noonGuess = (day * MINUTES_PER_DAY + 720) * 60000;
      const first = this.wallMinutes(noonGuess) - noonGuess / 60000;
      const noonUtc = noonGuess - first * 60000;
      off = this.wallMinutes(noonUtc) - noonUtc / 60000;
      this.offsets.set(day, off);
    }
    return off;
  }

  /** The instant (epoch minutes) of a wall-clock time on a local day. */
  instant(day: number, minuteOfDay: number): number {
    return day * MINUTES_PER_DAY + minuteOfDay - this.offsetOnDay(day);
  }

  /** The local day an instant falls on. */
  dayOf(epochMinutes: number): number {
    return Math.floor(this.wallMinutes(epochMinutes * 60000) / MINUTES_PER_DAY);
  }

  /**
   * The local day of a daytime instant (any time from 03:00 to 24:00 local), without
   * asking Intl: a cached offset per day is enough when DST switches cannot intervene.
   */
  dayOfDaytime(epochMinutes: number): number {
    const guess = Math.floor(epochMinutes / MINUTES_PER_DAY);
    for (const d of [guess, guess + 1, guess - 1]) {
      if (epochMinutes >= this.instant(d, 0) && epochMinutes < this.instant(d + 1, 0)) return d;
    }
    return this.dayOf(epochMinutes);
  }

  /** Day of the week, 0 = Sunday. */
  static weekday(day: number): number {
    return (((day + 4) % 7) + 7) % 7;
  }

  /** 'YYYY-MM-DD' of a day number. */
  static isoDate(day: number): string {
    return new Date(day * 86400000).toISOString().slice(0, 10);
  }
}
