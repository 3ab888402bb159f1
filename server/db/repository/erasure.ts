/**
 * Right to erasure and legal holds, run by compliance. The database does the work
 * (erase_patient, set_legal_hold: migration 20261125000021); this module only turns a
 * refusal into an error for the client *after* the transaction that recorded the
 * refusal has committed, since an exception inside it would roll the record back.
 */
import type { Knex } from 'knex';
import { asStaff, type StaffIdentity, type Transaction } from '../index.js';
import { DomainError } from '../../domain/errors.js';

export type ErasureOutcome = 'erased' | 'already_erased' | 'refused_legal_hold';

export interface ErasureResult {
  outcome: ErasureOutcome;
  erasureId: number | null;
}

/** A refused erasure: the patient is under legal hold. The refusal is already recorded. */
export class LegalHoldError extends DomainError {
  constructor(
    readonly patientId: number,
    readonly erasureId: number,
    /** The hold in force, as compliance recorded it (shown to compliance, who set it). */
    readonly legalHoldReason?: string | null,
  ) {
    super('conflict', 'legal_hold', `This patient is under legal hold${legalHoldReason ? ` (${legalHoldReason})` : ''}; the erasure was refused and the refusal recorded.`, {
      constraint: 'patients_legal_hold',
      erasureId,
      ...(legalHoldReason ? { legalHoldReason } : {}),
    });
    this.name = 'LegalHoldError';
  }
}

/** Call erase_patient inside an existing compliance transaction; returns the outcome without throwing on a hold. */
export async function erasePatientIn(trx: Transaction, patientId: number, reason: string): Promise<ErasureResult> {
  const { rows } = await trx.raw<{ rows: { outcome: ErasureOutcome; erasure_id: number | null }[] }>(
    'SELECT outcome, erasure_id FROM erase_patient(?, ?)',
    [patientId, reason],
  );
  const r = rows[0]!;
  return { outcome: r.outcome, erasureId: r.erasure_id };
}

/**
 * Erase a patient as a compliance officer, in its own transaction. Resolves with 'erased'
 * or 'already_erased'; rejects with LegalHoldError (after the refusal is committed) when a
 * legal hold is in force.
 */
export async function erasePatient(
  knex: Knex,
  identity: StaffIdentity,
  patientId: number,
  reason: string,
): Promise<ErasureResult> {
  const result = await asStaff(knex, identity, (trx) => erasePatientIn(trx, patientId, reason));
  if (result.outcome === 'refused_legal_hold') throw new LegalHoldError(patientId, result.erasureId!);
  return result;
}

/** Place (reason) or lift (null) a legal hold; compliance only, audited. */
export async function setLegalHold(trx: Transaction, patientId: number, reason: string | null): Promise<void> {
  await trx.raw('SELECT set_legal_hold(?, ?)', [patientId, reason]);
}
