/**
 * Billing's work list: charges through the billing_charges view (security_invoker, so
 * row-level security decides; billing sees the identity a claim needs and nothing clinical).
 * Newest date of service first, keyset-paged on (service_date, charge_id).
 */
import type { ChargeStatus } from '../../../shared/vocabulary.js';
import type { Transaction } from '../index.js';
import { selectAudited } from './access-log.js';
import { iso } from './common.js';


export interface ChargeFilter {
  status?: ChargeStatus;
  /** Clinic-local days bounding the date of service, both inclusive. */
  from?: string;
  to?: string;
  /** Keyset paging: rows after this (serviceDate, chargeId) in newest-first order. */
  before?: { serviceDate: string; chargeId: number };
  limit: number;
}

export interface Charge {
  chargeId: number;
  visitId: number;
  patientId: number;
  patientName: string;
  patientDob: string;
  providerId: number;
  providerName: string;
  serviceDate: string;
  amountCents: number | null;
  currency: string;
  status: ChargeStatus;
  payer: string | null;
  createdAt: string;
  updatedAt: string;
}

interface ChargeRow {
  charge_id: number;
  visit_id: number;
  patient_id: number;
  patient_name: string;
  patient_dob: string;
  provider_id: number;
  provider_name: string;
  service_date: string;
  amount_cents: number | null;
  currency: string;
  status: ChargeStatus;
  payer: string | null;
  created_at: Date;
  updated_at: Date;
}

export async function listCharges(trx: Transaction, f: ChargeFilter): Promise<Charge[]> {
  const q = trx('billing_charges')
    .select(
      'charge_id', 'visit_id', 'patient_id', 'patient_name', 'patient_dob', 'provider_id', 'provider_name',
      'service_date', 'amount_cents', 'currency', 'status', 'payer', 'created_at', 'updated_at',
    )
    .orderBy([{ column: 'service_date', order: 'desc' }, { column: 'charge_id', order: 'desc' }])
    .limit(f.limit);
  if (f.status !== undefined) q.where('status', f.status);
  if (f.from !== undefined) q.where('service_date', '>=', f.from);
  if (f.to !== undefined) q.where('service_date', '<=', f.to);
  if (f.before !== undefined) q.whereRaw('(service_date, charge_id) < (?::date, ?::integer)', [f.before.serviceDate, f.before.chargeId]);
  // One audit row names every patient on the page (access-log.ts), in the same statement.
  const rows = await selectAudited<ChargeRow>(trx, 'patients', q, { patientColumn: 'patient_id', orderBy: 'service_date desc, charge_id desc' });
  return rows.map((r) => ({
    chargeId: r.charge_id,
    visitId: r.visit_id,
    patientId: r.patient_id,
    patientName: r.patient_name,
    patientDob: r.patient_dob,
    providerId: r.provider_id,
    providerName: r.provider_name,
    serviceDate: r.service_date,
    amountCents: r.amount_cents,
    currency: r.currency,
    status: r.status,
    payer: r.payer,
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  }));
}
