/**
 * Break-the-glass for clinicians: time-limited access to a patient outside their care,
 * granted (and audited with high severity) by the database's break_glass(); the clinician's
 * own grants still in force, read through RLS (a clinician sees only their own) and audited.
 */
import type { Transaction } from '../index.js';
import { iso } from './common.js';
import { selectAudited } from './access-log.js';

export async function breakGlass(trx: Transaction, patientId: number, reason: string, minutes: number): Promise<string> {
  const { rows } = await trx.raw<{ rows: { expires_at: Date }[] }>('SELECT break_glass(?, ?, ?) AS expires_at', [patientId, reason, minutes]);
  return iso(rows[0]!.expires_at);
}

export interface ActiveGrant {
  grantId: number;
  patientId: number;
  patientName: string;
  grantedAt: string;
  expiresAt: string;
}

/** The caller's grants still in force, soonest to end first; one durable audit row names their patients (access-log.ts). */
export async function activeGrants(trx: Transaction): Promise<ActiveGrant[]> {
  const query = trx('break_glass_grants as g')
    // A grant in force is what lets the clinician see its patient (policy "clinicians see their patients").
    .join('patients as p', 'p.patient_id', 'g.patient_id')
    .select('g.grant_id', 'g.patient_id', 'p.name', 'g.granted_at', 'g.expires_at')
    .where('g.user_id', trx.raw('(SELECT current_staff_user_id())'))
    .where('g.expires_at', '>', trx.raw('now()'));
  const rows = await selectAudited<{ grant_id: number; patient_id: number; name: string; granted_at: Date; expires_at: Date }>(
    trx, 'patients', query, { patientColumn: 'patient_id', orderBy: 'expires_at, grant_id' },
  );
  return rows.map((r) => ({ grantId: r.grant_id, patientId: r.patient_id, patientName: r.name, grantedAt: iso(r.granted_at), expiresAt: iso(r.expires_at) }));
}
