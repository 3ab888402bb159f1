/**
 * Compliance request and response schemas: the audit log's filters and entries, and the
 * patient finder used before an erasure. Entries hold ids and column names only, never
 * values.
 */
import { z } from 'zod';
import { dateOut, idString, instant, instantOut } from '../http/schemas.js';
import { limitParam } from '../../shared/paging.js';
import { AUDIT_ACTIONS, AUDIT_SEVERITIES } from '../../shared/vocabulary.js';

export const auditQuery = z
  .strictObject({
    patientId: idString.optional(),
    actorUserId: idString.optional(),
    action: z.enum(AUDIT_ACTIONS).optional(),
    table: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a table name').optional(),
    severity: z.enum(AUDIT_SEVERITIES).optional(),
    from: instant.optional().meta({ description: 'Entries at or after this instant.' }),
    to: instant.optional().meta({ description: 'Entries before this instant.' }),
    before: z
      .string()
      .regex(/^[1-9][0-9]{0,15}$/, 'must be an audit id')
      .transform(Number)
      .optional()
      .meta({ description: 'Keyset paging: entries older than this auditId (pass nextBefore).' }),
    limit: limitParam(500, 100),
  })
  .refine((q) => q.from === undefined || q.to === undefined || Date.parse(q.from) < Date.parse(q.to), { message: 'from must be before to', path: ['from'] });

export const auditEntrySchema = z
  .object({
    auditId: z.number().int(),
    at: instantOut,
    txid: z.number().int(),
    actorUserId: z.number().int().nullable(),
    actorRole: z.string(),
    action: z.enum(AUDIT_ACTIONS),
    severity: z.enum(AUDIT_SEVERITIES),
    table: z.string().nullable(),
    rowKey: z.string().nullable(),
    patientId: z.number().int().nullable(),
    patientIds: z.array(z.number().int()).nullable().meta({ description: 'Every patient a read returned (a search, a schedule).' }),
    changedColumns: z.array(z.string()).nullable(),
    actorUsername: z.string().nullable().meta({ description: 'The actor\'s username; null for the database itself.' }),
    patientName: z.string().nullable().meta({ description: 'The patient\'s current name (pseudonymised once erased).' }),
    subjectPatientId: z.number().int().nullable().meta({ description: 'The patient patientName names: patientId, else the only patient a read returned, else (with a patientId filter) the filtered patient found in a read\'s list.' }),
  })
  .meta({ id: 'AuditEntry' });

export const compliancePatientSchema = z
  .object({
    patientId: z.number().int(),
    name: z.string(),
    dob: dateOut,
    legalHoldReason: z.string().nullable(),
    erasedAt: instantOut.nullable(),
  })
  .meta({ id: 'CompliancePatient' });
