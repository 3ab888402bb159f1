/**
 * The fixed-offset time zone where it is now mid-morning (10:00–10:59). A check-in is only
 * possible on the appointment's own clinic day, within the provider's working hours, and
 * never booked in the past; a test or a soak that checks patients in at any hour of the UTC
 * day moves the clinic to this zone for its duration.
 */
export function morningZone(now = new Date()): string {
  return zoneAtHour(10, now);
}

/**
 * The fixed-offset zone where the local hour is now `hour` (0–23). Etc/GMT-14 … Etc/GMT+12
 * cover every hour of the UTC day (Etc/ signs are POSIX: Etc/GMT-10 is UTC+10).
 */
export function zoneAtHour(hour: number, now = new Date()): string {
  let offset = hour - now.getUTCHours();
  if (offset < -12) offset += 24;
  if (offset > 14) offset -= 24;
  return offset === 0 ? 'Etc/GMT' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
}
