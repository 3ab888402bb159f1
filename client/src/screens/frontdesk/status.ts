/** Appointment status in words, with an icon so colour is never the only cue; and what the status machine allows. */
import { APPOINTMENT_STATUS_LABELS, type AppointmentStatus } from '../../../../shared/vocabulary.js';

const ICONS: Record<AppointmentStatus, string> = { scheduled: '○', checked_in: '✔', completed: '★', no_show: '⚠', cancelled: '✕' };

export const STATUS = Object.fromEntries(
  Object.entries(ICONS).map(([s, icon]) => [s, { label: APPOINTMENT_STATUS_LABELS[s as AppointmentStatus], icon }]),
) as Record<AppointmentStatus, { label: string; icon: string }>;

/** The database's state machine: scheduled → checked_in → completed; scheduled|checked_in → cancelled; scheduled → no_show. */
export const can = {
  checkIn: (s: AppointmentStatus) => s === 'scheduled',
  cancel: (s: AppointmentStatus) => s === 'scheduled' || s === 'checked_in',
  noShow: (s: AppointmentStatus) => s === 'scheduled',
  reschedule: (s: AppointmentStatus) => s === 'scheduled',
};
