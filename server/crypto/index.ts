/** Field encryption for clinical free text: envelope keys in the service, ciphertext in PostgreSQL. */
export { FieldCrypto, DataKey, WRAPPED_KEY_BYTES } from './field-crypto.js';
export { MasterKeyError, PatientErasedError, CiphertextError } from './errors.js';
