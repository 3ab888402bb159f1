/**
 * The provider list and existence checks the API needs (who may be booked, 404 before
 * work). Working hours, time off and overbook limits are the availability aggregate
 * (availability.ts).
 */
import type { Transaction } from '../index.js';
import { selected, firstRow } from './common.js';

export interface Provider {
  providerId: number;
  name: string;
  specialty: string;
}

export async function listProviders(trx: Transaction): Promise<Provider[]> {
  const rows: { provider_id: number; name: string; specialty: string }[] = await selected(trx('providers')
    .select('provider_id', 'name', 'specialty')
    .orderBy([{ column: 'name' }, { column: 'provider_id' }]));
  return rows.map((r) => ({ providerId: r.provider_id, name: r.name, specialty: r.specialty }));
}

export async function providerExists(trx: Transaction, providerId: number): Promise<boolean> {
  const row = await firstRow(trx('providers').select('provider_id').where('provider_id', providerId));
  return row !== undefined;
}
