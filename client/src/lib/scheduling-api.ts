/**
 * Typed calls for the front desk's scheduling helpers (free slots, the waitlist), on the one
 * API client's failure policy (api.request). Components never build URLs.
 */
import { OwnChanges, type Api, type CallOptions } from './api.js';
import type { FreeSlot, WaitlistEntry, WaitlistRequest } from '../../../shared/api-types.js';

export interface SlotSearch {
  from: string;
  to: string;
  durationMin: number;
  /** One provider, or every provider of `specialty`. */
  providerId?: number;
  specialty?: string;
  limit?: number;
}

export function schedulingApi(api: Api) {
  const { request, query: q, own } = api;
  return {
    slots: (s: SlotSearch, o?: CallOptions) =>
      request<{ items: FreeSlot[] }>(
        'GET',
        `/api/slots?${q({ from: s.from, to: s.to, durationMin: s.durationMin, providerId: s.providerId, specialty: s.specialty, limit: s.limit })}`,
        undefined,
        o,
      ).then((r) => r.items),
    waitlist: (o?: CallOptions) => request<{ items: WaitlistEntry[] }>('GET', '/api/waitlist', undefined, o).then((r) => r.items),
    // Claimed as this page's own (api.own): the waitlist does not announce its own changes twice.
    addToWaitlist: (body: WaitlistRequest) => own.around([OwnChanges.waitlistPatient(body.patientId)], () => request<{ id: number; entry: WaitlistEntry }>('POST', '/api/waitlist', body)),
    removeFromWaitlist: (id: number) => own.around([OwnChanges.waitlistEntry(id)], () => request<void>('DELETE', `/api/waitlist/${id}`)),
  };
}

export type SchedulingApi = ReturnType<typeof schedulingApi>;
