/**
 * Patient request and response schemas. Registration mirrors the database's checks
 * (patients_* constraints) so a typo gets a 400 naming the field.
 */
import { z } from 'zod';
import { booleanString, dateOut, instant, instantOut, localDate, paging, text } from '../http/schemas.js';
import { limitParam } from '../../shared/paging.js';

const today = () => new Date().toISOString().slice(0, 10);

/** A person's name: letters (any script), digits, spaces and . , ' ’ - only. */
const personName = text(200).regex(/^[\p{L}\p{M}][\p{L}\p{M}\p{N} .,'’-]*$/u, "may contain only letters, digits, spaces and . , ' -");

export const registerBody = z
  .strictObject({
    name: personName,
    dob: localDate.refine((d) => d <= today(), 'must not be in the future'),
    email: z.email('must be an email address').max(254).transform((e) => e.toLowerCase()).nullable().optional(),
    phone: z
      .string()
      .regex(/^\+?[0-9][0-9 ().-]{5,22}[0-9]$/, 'must be a phone number: digits, spaces, ( ) . - and an optional leading +')
      .nullable()
      .optional(),
  })
  .meta({ id: 'RegisterPatientRequest' });

export const scheduledPatientSchema = z
  .object({
    patientId: z.number().int(),
    name: z.string(),
    birthYear: z.number().int(),
    emailMasked: z.string().nullable(),
    phoneLast4: z.string().nullable(),
    createdAt: z.string(),
    dob: z.string().optional().meta({ format: 'date', description: 'Front desk only: the date of birth, to tell two patients of the same name apart.' }),
  })
  .meta({ id: 'PatientSummary', description: 'As front desk sees a patient: date of birth but masked contact.' });

export const clinicalPatientSchema = z
  .object({
    patientId: z.number().int(),
    name: z.string(),
    dob: z.string(),
    email: z.string().nullable(),
    phone: z.string().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'Patient', description: 'As a clinician sees their own patient.' });

export const billedPatientSchema = z
  .object({ patientId: z.number().int(), name: z.string(), dob: z.string() })
  .meta({ id: 'BilledPatient', description: 'As billing sees a patient it bills: what a claim needs.' });

export const patientSchema = z.union([clinicalPatientSchema, scheduledPatientSchema, billedPatientSchema]);

export const searchQuery = z
  .strictObject({
    q: text(100).optional().meta({ description: 'Start of the name or of any word in it.' }),
    dob: localDate.optional().meta({ description: 'Exact date of birth, YYYY-MM-DD (with or without q).' }),
    ...paging,
  })
  .refine((v) => v.q !== undefined || v.dob !== undefined, { message: 'give q (a name), dob (a date of birth), or both', path: ['q'] });

export const historyQuery = z.strictObject({
  limit: limitParam(200, 50),
  before: instant.optional().meta({ description: 'Only appointments starting before this instant (pass the last row\'s scheduledAt for the next page).' }),
});

export const prescriptionsQuery = z.strictObject({
  active: booleanString.default(true).meta({ description: 'true (default): only prescriptions in force today (clinic-local); false: all.' }),
});

/** A prescription as its visit lists it (the clinician's panel nests these in each visit). */
export const visitPrescriptionSchema = z.object({
  prescriptionId: z.number().int(),
  medicationId: z.number().int(),
  medicationName: z.string(),
  form: z.string(),
  strength: z.string(),
  dosage: z.string(),
  startDate: dateOut,
  endDate: dateOut.nullable(),
});

/** A prescription on its own: which visit wrote it, and when. */
export const prescriptionSchema = visitPrescriptionSchema
  .extend({ visitId: z.number().int(), prescribedAt: instantOut })
  .meta({ id: 'Prescription' });

export const eraseBody = z
  .strictObject({ reason: text(1000) })
  .meta({ id: 'EraseRequest' });
