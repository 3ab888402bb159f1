/** Appointment status in words, with an icon so colour is never the only cue; and what the status machine allows. */
import type { AppointmentStatus } from '../../../../shared/api-types.js';

export const STATUS: Record<AppointmentStatus, { label: string; icon: string }> = {
  scheduled: { label: 'Scheduled', icon: '○' },
  checked_in: { label: 'Checked in', icon: '✔' },
  completed: { label: 'Completed', icon: '★' },
  no_show: { label: 'No-show', icon: '⚠' },
  cancelled: { label: 'Cancelled', icon: '✕' },
};

/** The database's state machine: scheduled → checked_in → completed; scheduled|checked_in → cancelled; scheduled → no_show. */
export const can = {
  checkIn: (s: AppointmentStatus) => s === 'scheduled',
  cancel: (s: AppointmentStatus) => s === 'scheduled' || s === 'checked_in',
  noShow: (s: AppointmentStatus) => s === 'scheduled',
  reschedule: (s: AppointmentStatus) => s === 'scheduled',
};
