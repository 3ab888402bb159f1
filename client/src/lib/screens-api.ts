/**
 * Typed calls for the clinician, manager, compliance and billing screens, on the one API
 * client's failure policy (api.request). Components never build URLs.
 */
import type { Api, CallOptions } from './api.js';
import type {
  AuditEntry,
  BreakGlassGrant,
  Charge,
  CompleteVisitRequest,
  CompliancePatient,
  Icd10Code,
  Medication,
  NoShowRow,
  OutcomeRow,
  PatientPanel,
  ScheduleEntry,
  StaffAccount,
  VolumeRow,
} from '../../../shared/api-types.js';

export interface AnalyticsFilter {
  from: string;
  to: string;
  providerIds?: number[];
  specialty?: string;
}

export interface AuditFilter {
  patientId?: number;
  actorUserId?: number;
  action?: string;
  table?: string;
  severity?: string;
  from?: string;
  to?: string;
  before?: number;
  limit?: number;
}

export interface ChargeFilter {
  status?: string;
  from?: string;
  to?: string;
  before?: string;
  limit?: number;
}

export function screensApi(api: Api) {
  const { request, query: q } = api;
  const analytics = (f: AnalyticsFilter) => q({ from: f.from, to: f.to, providerId: f.providerIds?.length ? f.providerIds.join(',') : undefined, specialty: f.specialty });
  return {
    schedule: (providerId: number, date: string, o?: CallOptions) =>
      request<{ items: ScheduleEntry[] }>('GET', `/api/providers/${providerId}/schedule?${q({ date })}`, undefined, o).then((r) => r.items),
    panel: (patientId: number, o?: CallOptions) => request<PatientPanel>('GET', `/api/patients/${patientId}/panel`, undefined, o),
    note: (visitId: number) => request<{ visitId: number; note: string }>('GET', `/api/visits/${visitId}/note`),
    icd10: (text: string, o?: CallOptions) => request<{ items: Icd10Code[] }>('GET', `/api/icd10?${q({ q: text, limit: 10 })}`, undefined, o).then((r) => r.items),
    medications: (text: string, o?: CallOptions) =>
      request<{ items: Medication[] }>('GET', `/api/medications?${q({ q: text, limit: 10 })}`, undefined, o).then((r) => r.items),
    breakGlass: (patientId: number, reason: string, minutes: number) =>
      request<{ patientId: number; expiresAt: string }>('POST', `/api/patients/${patientId}/break-glass`, { reason, minutes }),
    grants: (o?: CallOptions) => request<{ items: BreakGlassGrant[] }>('GET', '/api/break-glass', undefined, o).then((r) => r.items),
    complete: (appointmentId: number, body: CompleteVisitRequest) =>
      request<{ visitId: number }>('POST', `/api/appointments/${appointmentId}/complete`, body),
    outcomes: (f: AnalyticsFilter, o?: CallOptions) => request<{ items: OutcomeRow[] }>('GET', `/api/analytics/outcomes?${analytics(f)}`, undefined, o).then((r) => r.items),
    noShowRate: (f: AnalyticsFilter, o?: CallOptions) => request<{ items: NoShowRow[] }>('GET', `/api/analytics/no-show-rate?${analytics(f)}`, undefined, o).then((r) => r.items),
    volume: (f: AnalyticsFilter, o?: CallOptions) => request<{ items: VolumeRow[] }>('GET', `/api/analytics/volume?${analytics(f)}`, undefined, o).then((r) => r.items),
    audit: (f: AuditFilter, o?: CallOptions) =>
      request<{ items: AuditEntry[]; nextBefore: number | null }>('GET', `/api/audit?${q({ ...f })}`, undefined, o),
    findPatients: (text: string, o?: CallOptions) =>
      request<{ items: CompliancePatient[] }>('GET', `/api/compliance/patients?${q({ q: text })}`, undefined, o).then((r) => r.items),
    erase: (patientId: number, reason: string) =>
      request<{ patientId: number; outcome: 'erased' | 'already_erased'; erasureId: number | null }>('POST', `/api/patients/${patientId}/erase`, { reason }),
    staff: (o?: CallOptions) => request<{ items: StaffAccount[] }>('GET', '/api/staff', undefined, o).then((r) => r.items),
    deactivate: (userId: number) => request<{ userId: number; outcome: 'deactivated' | 'already_inactive' }>('POST', `/api/staff/${userId}/deactivate`),
    charges: (f: ChargeFilter, o?: CallOptions) =>
      request<{ items: Charge[]; nextBefore: string | null }>('GET', `/api/billing/charges?${q({ ...f })}`, undefined, o),
  };
}

export type ScreensApi = ReturnType<typeof screensApi>;

/** CSV text of a table: a header row and one row per record, RFC 4180 quoting. */
export function toCsv(header: string[], rows: (string | number | null)[][]): string {
  const cell = (v: string | number | null) => {
    const s = v === null ? '' : String(v);
    // A leading = + - @ would run as a formula in a spreadsheet: prefix it with a quote.
    const safe = /^[=+\-@\t\r]/.test(s) && typeof v === 'string' ? `'${s}` : s;
    return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
  };
  return [header, ...rows].map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}

/** Offer `text` as a file download named `name`. */
export function download(name: string, text: string, type = 'text/csv'): void {
  const url = URL.createObjectURL(new Blob([text], { type: `${type};charset=utf-8` }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
