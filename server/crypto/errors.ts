/**
 * Typed failures of field encryption. Each says plainly what went wrong so that a
 * wrong or missing master key is an error the operator can act on, never garbage
 * text, and an erased patient's data reads as "erased", not as corruption.
 * Domain errors: the HTTP edge (server/http/errors.ts) gives them their status.
 */
import { DomainError } from '../domain/errors.js';

/** The master key is missing, or is not the key that wrapped this patient's data key. */
export class MasterKeyError extends DomainError {
  constructor(message: string) {
    super('unavailable', 'encryption_unavailable', message);
    this.name = 'MasterKeyError';
  }
}

/** The patient was erased: their data key is destroyed and their encrypted fields are gone for good. */
export class PatientErasedError extends DomainError {
  constructor(readonly patientId: number) {
    super('gone', 'patient_erased', `Patient ${patientId} was erased; their encrypted records can no longer be read.`);
    this.name = 'PatientErasedError';
  }
}

/** A stored ciphertext failed authentication under a key that did unwrap: tampered with or misplaced. */
export class CiphertextError extends DomainError {
  constructor(message: string) {
    super('integrity', 'ciphertext_invalid', message);
    this.name = 'CiphertextError';
  }
}
