/**
 * Envelope encryption of clinical free text, done entirely in the service so that
 * neither the master key nor a plaintext data key ever reaches PostgreSQL.
 *
 * - Each patient has a random 32-byte data key. Fields are sealed with AES-256-GCM
 *   under it, bound (associated data) to the row they belong to, so a ciphertext
 *   copied onto another row fails to open.
 * - The data key is stored wrapped: AES-256-GCM under the master key (MASTER_KEY),
 *   bound to the patient id, prefixed with an 8-byte id of the master key so that a
 *   wrong key is told apart from a damaged blob.
 * - Destroying the wrapped key (erasure) makes every sealed field unreadable.
 * - Storing a wrapped key needs a proof of holding the master key (keyStoreProof): the
 *   database keeps only its SHA-256 and refuses a key without it, so nobody without
 *   MASTER_KEY can plant a key that blocks a patient's notes (migration 20261206000202).
 *
 * Formats (version byte first, so a future algorithm can coexist):
 *   wrapped key: 0x01 | master key id (8) | iv (12) | tag (16) | key (32)  = 69 bytes
 *   sealed field: 0x01 | iv (12) | tag (16) | ciphertext
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import type { Config } from '../config.js';
import { CiphertextError, MasterKeyError } from './errors.js';

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const KEY_ID_BYTES = 8;
export const WRAPPED_KEY_BYTES = 1 + KEY_ID_BYTES + IV_BYTES + TAG_BYTES + KEY_BYTES;

function seal(key: Buffer, plaintext: Buffer, aad: string): { iv: Buffer; tag: Buffer; body: Buffer } {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { iv, tag: cipher.getAuthTag(), body };
}

/** Opens a GCM box; returns null when authentication fails (wrong key, wrong row, tampering). */
function open(key: Buffer, iv: Buffer, tag: Buffer, body: Buffer, aad: string): Buffer | null {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]);
  } catch {
    return null;
  }
}

/** A patient's data key in the clear, held only in the service's memory; wipe() it when done. */
export class DataKey {
  constructor(readonly patientId: number, private readonly key: Buffer) {}

  /** Seal text for one row; `context` names the row (e.g. 'visit_notes:12'). */
  encrypt(text: string, context: string): Buffer {
    const { iv, tag, body } = seal(this.key, Buffer.from(text, 'utf8'), this.aad(context));
    return Buffer.concat([Buffer.from([VERSION]), iv, tag, body]);
  }

  decrypt(sealed: Buffer, context: string): string {
    if (sealed.length < 1 + IV_BYTES + TAG_BYTES || sealed[0] !== VERSION) {
      throw new CiphertextError(`The encrypted ${context} has an unknown format.`);
    }
    const iv = sealed.subarray(1, 1 + IV_BYTES);
    const tag = sealed.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
    const plain = open(this.key, iv, tag, sealed.subarray(1 + IV_BYTES + TAG_BYTES), this.aad(context));
    if (!plain) throw new CiphertextError(`The encrypted ${context} does not authenticate: it was altered or belongs elsewhere.`);
    return plain.toString('utf8');
  }

  wipe(): void {
    this.key.fill(0);
  }

  private aad(context: string): string {
    return `clinicpulse:v1:patient:${this.patientId}:${context}`;
  }
}

/**
 * The service's field encryption. Built from the configuration; when MASTER_KEY is
 * missing the service still starts, and every use fails with a MasterKeyError saying so.
 */
export class FieldCrypto {
  private readonly master: Buffer | undefined;
  private readonly masterId: Buffer | undefined;
  /** Keys being rotated away from (MASTER_KEY_PREVIOUS): they still unwrap, never wrap. */
  private readonly previous: { master: Buffer; id: Buffer }[];

  constructor(masterKeyHex: string | undefined, previousKeysHex: readonly string[] = []) {
    if (masterKeyHex !== undefined) {
      this.master = parseMasterKey(masterKeyHex, 'MASTER_KEY');
      this.masterId = masterKeyId(this.master);
    }
    this.previous = previousKeysHex.map((hex) => {
      const master = parseMasterKey(hex, 'MASTER_KEY_PREVIOUS');
      return { master, id: masterKeyId(master) };
    });
  }

  /** The 8-byte id of the current master key (what wrapped keys carry), or undefined without one. */
  get currentKeyId(): Buffer | undefined {
    return this.masterId;
  }

  /** The ids of the previous keys this instance still unwraps with. */
  get previousKeyIds(): Buffer[] {
    return this.previous.map((p) => p.id);
  }

  /**
   * A wrapped data key re-wrapped under the current master key (same data key, so every
   * sealed field stays readable), or null when it is already under the current key.
   */
  rewrap(patientId: number, wrapped: Buffer): Buffer | null {
    const { master, id } = this.requireMaster();
    if (wrapped.length === WRAPPED_KEY_BYTES && wrapped.subarray(1, 1 + KEY_ID_BYTES).equals(id)) return null;
    const dataKey = this.unwrapDataKey(patientId, wrapped);
    try {
      const raw = (dataKey as unknown as { key: Buffer }).key;
      const { iv, tag, body } = seal(master, raw, wrapAad(patientId));
      return Buffer.concat([Buffer.from([VERSION]), id, iv, tag, body]);
    } finally {
      dataKey.wipe();
    }
  }

  static fromConfig(config: Pick<Config, 'MASTER_KEY'>): FieldCrypto {
    return new FieldCrypto(config.MASTER_KEY);
  }

  /** The 8-byte id of the master key (an HMAC of it, not the key), or undefined without one. */
  get keyId(): Buffer | undefined {
    return this.masterId ? Buffer.from(this.masterId) : undefined;
  }

  get available(): boolean {
    return this.master !== undefined;
  }

  /** Throws MasterKeyError unless a master key is configured. */
  assertAvailable(): void {
    this.requireMaster();
  }

  /** A fresh data key for a patient and its wrapped form (what patient_keys stores). */
  newDataKey(patientId: number): { dataKey: DataKey; wrapped: Buffer } {
    const { master, id } = this.requireMaster();
    const key = randomBytes(KEY_BYTES);
    const { iv, tag, body } = seal(master, key, wrapAad(patientId));
    return { dataKey: new DataKey(patientId, key), wrapped: Buffer.concat([Buffer.from([VERSION]), id, iv, tag, body]) };
  }

  /**
   * What the database asks of whoever stores a data key: the master key's id and a proof of
   * holding it, HMAC-SHA-256(master key, fixed label). Neither reveals the key; the database
   * keeps only the proof's SHA-256.
   */
  keyStoreProof(): { keyId: Buffer; proof: Buffer } {
    const { master, id } = this.requireMaster();
    return { keyId: id, proof: createHmac('sha256', master).update('clinicpulse key-store proof v1').digest() };
  }

  /** Unwraps a stored data key; a MasterKeyError if this master key did not wrap it for this patient. */
  unwrapDataKey(patientId: number, wrapped: Buffer): DataKey {
    const { master, id } = this.requireMaster();
    if (wrapped.length !== WRAPPED_KEY_BYTES || wrapped[0] !== VERSION) {
      throw new CiphertextError(`The stored data key of patient ${patientId} has an unknown format.`);
    }
    const storedId = wrapped.subarray(1, 1 + KEY_ID_BYTES);
    // During a rotation a data key may still be wrapped under the previous master key.
    const unwrapWith = storedId.equals(id) ? master : this.previous.find((p) => p.id.equals(storedId))?.master;
    if (!unwrapWith) {
      throw new MasterKeyError(
        "The master key cannot unwrap this patient's data key: MASTER_KEY is not the key the data was encrypted with.",
      );
    }
    let at = 1 + KEY_ID_BYTES;
    const iv = wrapped.subarray(at, (at += IV_BYTES));
    const tag = wrapped.subarray(at, (at += TAG_BYTES));
    const key = open(unwrapWith, iv, tag, wrapped.subarray(at), wrapAad(patientId));
    if (!key) {
      throw new MasterKeyError(
        "The master key cannot unwrap this patient's data key: it was altered or belongs to another patient.",
      );
    }
    return new DataKey(patientId, key);
  }

  private requireMaster(): { master: Buffer; id: Buffer } {
    if (!this.master || !this.masterId) {
      throw new MasterKeyError('MASTER_KEY is not set: encrypted clinical notes cannot be read or written.');
    }
    return { master: this.master, id: this.masterId };
  }
}

function parseMasterKey(hex: string, name: string): Buffer {
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new MasterKeyError(`${name} must be 64 hexadecimal characters (32 bytes).`);
  return Buffer.from(hex, 'hex');
}

/** An identifier of the key, not the key: HMAC output reveals nothing about it. */
export function masterKeyId(master: Buffer): Buffer {
  return createHmac('sha256', master).update('clinicpulse master key id').digest().subarray(0, KEY_ID_BYTES);
}

function wrapAad(patientId: number): string {
  return `clinicpulse:v1:patient-key:${patientId}`;
}
