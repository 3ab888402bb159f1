/**
 * The waitlist (migration 20261206000602): front desk adds, lists and removes entries;
 * booking an entry's patient with its waitlistId removes it in the booking's transaction.
 * Row-level security limits every statement to a signed-in front-desk clerk.
 */
import { selectAudited } from './access-log.js';
import type { Transaction } from '../index.js';
import { DomainError } from '../../domain/errors.js';
import { iso } from './common.js';

export interface WaitlistEntry {
  waitlistId: number;
  patientId: number;
  patientName: string;
  providerId: number | null;
  specialty: string | null;
  earliest: string;
  latest: string;
  durationMin: number;
  note: string | null;
  waitingSince: string;
}

interface Row {
  waitlist_id: number;
  patient_id: number;
  patient_name: string;
  provider_id: number | null;
  specialty: string | null;
  earliest: Date;
  latest: Date;
  duration_min: number;
  note: string | null;
  created_at: Date;
}

const toEntry = (r: Row): WaitlistEntry => ({
  waitlistId: r.waitlist_id,
  patientId: r.patient_id,
  patientName: r.patient_name,
  providerId: r.provider_id,
  specialty: r.specialty,
  earliest: iso(r.earliest),
  latest: iso(r.latest),
  durationMin: r.duration_min,
  note: r.note,
  waitingSince: iso(r.created_at),
});

export interface NewWaitlistEntry {
  patientId: number;
  providerId?: number;
  specialty?: string;
  earliest: string;
  latest: string;
  durationMin: number;
  note?: string;
}

export async function addToWaitlist(trx: Transaction, e: NewWaitlistEntry): Promise<WaitlistEntry> {
  const [row] = (await trx('waitlist_entries')
    .insert({
      patient_id: e.patientId,
      provider_id: e.providerId ?? null,
      specialty: e.specialty ?? null,
      earliest: e.earliest,
      latest: e.latest,
      duration_min: e.durationMin,
      note: e.note ?? null,
    })
    .returning('waitlist_id')) as { waitlist_id: number }[];
  // The answer names the patient: read back like any list, with its audit row.
  return (await listWaitlistAudited(trx, { waitlistId: row!.waitlist_id }))[0]!;
}

type WaitlistFilter = { waitlistId?: number; providerId?: number; specialty?: string; patientId?: number; limit?: number };

/**
 * Entries, longest-waiting first, optionally for one provider (named or by its specialty),
 * specialty or patient, as a person reads them: one durable audit row names every patient
 * returned (access-log.ts).
 */
export async function listWaitlistAudited(trx: Transaction, f: WaitlistFilter): Promise<WaitlistEntry[]> {
  const rows = await selectAudited<Row>(trx, 'patients', waitlistQuery(trx, f), { patientColumn: 'patient_id', orderBy: 'created_at, waitlist_id' });
  return rows.map(toEntry);
}

function waitlistQuery(trx: Transaction, f: WaitlistFilter) {
  const q = trx('waitlist_entries as w')
    .join('patient_summary as p', 'p.patient_id', 'w.patient_id')
    .select('w.waitlist_id', 'w.patient_id', 'p.name as patient_name', 'w.provider_id', 'w.specialty', 'w.earliest', 'w.latest',
      'w.duration_min', 'w.note', 'w.created_at')
    .orderBy([{ column: 'w.created_at' }, { column: 'w.waitlist_id' }])
    .limit(f.limit ?? 500);
  if (f.waitlistId !== undefined) q.where('w.waitlist_id', f.waitlistId);
  if (f.patientId !== undefined) q.where('w.patient_id', f.patientId);
  if (f.specialty !== undefined) q.whereRaw('lower(w.specialty) = lower(?)', [f.specialty]);
  if (f.providerId !== undefined) {
    q.where((w) => {
      w.where('w.provider_id', f.providerId!).orWhereRaw(
        'w.provider_id IS NULL AND lower(w.specialty) = (SELECT lower(pr.specialty) FROM providers pr WHERE pr.provider_id = ?)',
        [f.providerId!],
      );
    });
  }
  return q;
}

export async function removeFromWaitlist(trx: Transaction, waitlistId: number): Promise<boolean> {
  return (await trx('waitlist_entries').where('waitlist_id', waitlistId).delete()) > 0;
}

/**
 * Take the patient's entry off the waitlist as part of booking them. The row lock makes a
 * second desk taking the same entry wait for the first, then find it gone: a conflict (waitlist_entry_gone).
 */
export async function takeWaitlistEntry(trx: Transaction, waitlistId: number, patientId: number): Promise<void> {
  const rows = (await trx('waitlist_entries').where({ waitlist_id: waitlistId }).delete().returning(['patient_id'])) as { patient_id: number }[];
  if (rows.length === 0) {
    throw new DomainError('conflict', 'waitlist_entry_gone', 'That waitlist entry was already booked or removed (perhaps by another desk); refresh the waitlist.', { waitlistId });
  }
  if (rows[0]!.patient_id !== patientId) {
    throw new DomainError('conflict', 'waitlist_patient_mismatch', 'That waitlist entry is for another patient; book the patient it names.', { waitlistId });
  }
}
