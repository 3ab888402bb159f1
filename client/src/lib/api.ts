/**
 * The one typed client for the API (types from shared/api-types.ts, i.e. the server's zod
 * schemas). Components never build URLs. Failure policy, in one place:
 * - a network error or 502/503/504 (server restarting, proxy up before the app) on a read
 *   is retried with back-off and jitter until it succeeds or the caller gives up (signal);
 *   while that happens `onTrouble(true)` lets the page say so;
 * - a 401 on anything but sign-in means the session really ended: `onUnauthorized` shows
 *   sign-in (and the page keeps its URL, so the person returns where they were);
 * - everything else rejects with ApiError carrying the server's code, message and details.
 * Writes are never retried automatically (a booking must not be made twice); a network
 * failure on a write rejects with a NetworkError the form shows with its own retry.
 */
import type {
  Appointment,
  ApiErrorBody,
  BookingRequest,
  Clinic,
  ClinicDay,
  Me,
  NoShowRow,
  PatientSummary,
  Provider,
  RegisterPatientRequest,
  RescheduleRequest,
  VolumeRow,
  AuditEntry,
  StatusHistory,
} from '../../../shared/api-types.js';
import { ACTIVITY_HEADER, BACKGROUND_HEADER } from '../../../shared/session-headers.js';
import type { AppointmentEventKind } from '../../../shared/events.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: NonNullable<ApiErrorBody['error']['details']>,
  ) {
    super(message);
  }
  /** Field-level messages from a 400, keyed by field name ("name", "dob", …). */
  fieldErrors(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const i of this.details?.issues ?? []) {
      const field = i.path.split('.')[1];
      if (field && !(field in out)) out[field] = i.message;
    }
    return out;
  }
}

export class NetworkError extends Error {
  constructor() {
    super('ClinicPulse cannot be reached right now. Check the connection and try again.');
  }
}

export interface ApiHooks {
  onUnauthorized(): void;
  /** true while reads are failing and being retried, false once one succeeds again. */
  onTrouble(trouble: boolean): void;
}

const RETRYABLE = new Set([502, 503, 504]);
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), reject(signal.reason)), { once: true });
  });

export interface CallOptions {
  signal?: AbortSignal;
  /** Reads retry on network errors by default; set false to fail at once (e.g. type-ahead). */
  retry?: boolean;
  /**
   * The page asks on its own (a refetch after a live push), not the person: the server then
   * does not extend the session (X-ClinicPulse-Background, server/auth/sessions.ts), so an
   * unattended live screen still signs out when idle.
   */
  background?: boolean;
  /**
   * The idle guard's keep-alive for a person's activity: the server writes the idle
   * deadline exactly (X-ClinicPulse-Activity), so it never ends before the page warns.
   */
  activity?: boolean;
}

/**
 * Changes this page is making (appointments, waitlist entries). Its own change comes back as a
 * live push like anyone else's, sometimes before the request's own answer; the screen has already
 * said it in its own words ("Maria Garcia: checked in."), so a claimed push is neither announced
 * nor flashed again. A claim is made before the request, ends at once if the request fails, and
 * lasts SETTLE_MS after it succeeds (the push is then due). An appointment's claim names the
 * change (a move, a check-in, …): another desk's different change to the same appointment in
 * those seconds (cancelling what this desk just moved) is still said. The same change twice is
 * all it can hide, and the status machine allows that only for two moves.
 */
export class OwnChanges {
  static readonly SETTLE_MS = 5000;
  /** Key → until when (ms; Infinity while the request is under way). Each claim is its own object, so an older request's end does not end a newer claim of the same key. */
  private readonly claims = new Map<string, { until: number }>();

  /** A change of `kind` to appointment `id` (a booking has no id yet: {@link OwnChanges.booking}). */
  static appointment = (id: number, kind: Exclude<AppointmentEventKind, 'booked'>) => `a:${id}:${kind}`;
  /** A booking, before it has an id: the patient and the instant. */
  static booking = (patientId: number, scheduledAt: string) => `b:${patientId}@${Date.parse(scheduledAt)}`;
  static waitlistEntry = (id: number) => `w:${id}`;
  /** A patient being put on the waitlist, before the entry has an id. */
  static waitlistPatient = (patientId: number) => `wp:${patientId}`;

  /** Runs `write` with `keys` claimed as this page's own while it is under way, and SETTLE_MS after it succeeds. */
  around<T>(keys: string[], write: () => Promise<T>): Promise<T> {
    const settles = keys.map((k) => this.claim(k));
    return write().then(
      (r) => (settles.forEach((s) => s(true)), r),
      (err: unknown) => {
        settles.forEach((s) => s(false));
        throw err;
      },
    );
  }

  /** Whether `key` is claimed now. */
  has(key: string): boolean {
    const claim = this.claims.get(key);
    if (!claim) return false;
    if (claim.until >= Date.now()) return true;
    this.claims.delete(key);
    return false;
  }

  /** Whether a live change of `kind` to appointment `appointmentId` (booked for `patientId` at `scheduledAt`) is this page's own. */
  hasAppointment(a: { appointmentId: number; patientId?: number; scheduledAt?: string }, kind: AppointmentEventKind): boolean {
    if (kind === 'booked') return a.patientId !== undefined && a.scheduledAt !== undefined && this.has(OwnChanges.booking(a.patientId, a.scheduledAt));
    return this.has(OwnChanges.appointment(a.appointmentId, kind));
  }

  private claim(key: string): (ok: boolean) => void {
    const claim = { until: Number.POSITIVE_INFINITY };
    this.claims.set(key, claim);
    return (ok) => {
      if (this.claims.get(key) !== claim) return;
      if (ok) claim.until = Date.now() + OwnChanges.SETTLE_MS;
      else this.claims.delete(key);
    };
  }
}

export function createApi(hooks: ApiHooks) {
  async function once<T>(method: string, path: string, body: unknown, opts: CallOptions): Promise<T> {
    const { signal } = opts;
    let res: Response;
    const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
    if (opts.background) headers[BACKGROUND_HEADER] = '1';
    else if (opts.activity) headers[ACTIVITY_HEADER] = '1';
    try {
      res = await fetch(path, {
        method,
        credentials: 'same-origin',
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
    } catch (err) {
      if (signal?.aborted) throw err;
      throw new NetworkError();
    }
    if (res.status === 204) return undefined as T;
    const json = (await res.json().catch(() => ({}))) as Partial<ApiErrorBody>;
    if (!res.ok) {
      const e = new ApiError(res.status, json.error?.code ?? 'error', json.error?.message ?? res.statusText, json.error?.details);
      if (res.status === 401 && path !== '/api/login') hooks.onUnauthorized();
      throw e;
    }
    return json as T;
  }

  async function call<T>(method: string, path: string, body?: unknown, opts: CallOptions = {}): Promise<T> {
    const retry = (opts.retry ?? true) && method === 'GET';
    for (let attempt = 0; ; attempt++) {
      try {
        const out = await once<T>(method, path, body, opts);
        if (attempt > 0) hooks.onTrouble(false);
        return out;
      } catch (err) {
        const transient = err instanceof NetworkError || (err instanceof ApiError && RETRYABLE.has(err.status));
        if (!retry || !transient || attempt >= 8) {
          if (attempt > 0) hooks.onTrouble(false);
          throw err;
        }
        hooks.onTrouble(true);
        // 0.5 s, 1 s, 2 s … capped at 8 s, with jitter so a restarted server is not stampeded.
        await sleep(Math.min(8000, 500 * 2 ** attempt) * (0.75 + Math.random() / 2), opts.signal);
      }
    }
  }

  const own = new OwnChanges();
  const appt = OwnChanges.appointment;

  const q = (params: Record<string, string | number | undefined>) => {
    const u = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') u.set(k, String(v));
    return u.toString();
  };

  return {
    me: (o?: CallOptions) => call<Me>('GET', '/api/me', undefined, o),
    login: (username: string, password: string) => call<Me>('POST', '/api/login', { username, password }),
    logout: () => call<void>('POST', '/api/logout'),
    clinic: (o?: CallOptions) => call<Clinic>('GET', '/api/clinic', undefined, o),
    clinicDay: (date: string, o?: CallOptions) => call<ClinicDay>('GET', `/api/clinic/day?${q({ date })}`, undefined, o),
    providers: (o?: CallOptions) => call<{ items: Provider[] }>('GET', '/api/providers', undefined, o).then((r) => r.items),
    providerSchedule: (providerId: number, date: string, o?: CallOptions) =>
      call<{ items: (Appointment & { patientName: string })[] }>('GET', `/api/providers/${providerId}/schedule?${q({ date })}`, undefined, o).then((r) => r.items),
    searchPatients: (s: { q?: string; dob?: string; limit?: number }, o?: CallOptions) =>
      call<{ items: PatientSummary[] }>('GET', `/api/patients?${q({ q: s.q, dob: s.dob, limit: s.limit })}`, undefined, o).then((r) => r.items),
    patient: (id: number, o?: CallOptions) => call<PatientSummary>('GET', `/api/patients/${id}`, undefined, o),
    registerPatient: (body: RegisterPatientRequest) => call<{ id: number }>('POST', '/api/patients', body),
    // A booking from the waitlist also takes its entry off the list.
    book: (body: BookingRequest) =>
      own.around([OwnChanges.booking(body.patientId, body.scheduledAt), ...(body.waitlistId !== undefined ? [OwnChanges.waitlistEntry(body.waitlistId)] : [])], () =>
        call<{ id: number; appointment: Appointment }>('POST', '/api/appointments', body),
      ),
    reschedule: (id: number, body: RescheduleRequest) => own.around([appt(id, 'rescheduled')], () => call<Appointment>('PATCH', `/api/appointments/${id}`, body)),
    history: (id: number, o?: CallOptions) => call<StatusHistory>('GET', `/api/appointments/${id}/history`, undefined, o).then((r) => r.items),
    checkIn: (id: number) => own.around([appt(id, 'checked_in')], () => call<Appointment>('POST', `/api/appointments/${id}/check-in`)),
    cancel: (id: number) => own.around([appt(id, 'cancelled')], () => call<Appointment>('POST', `/api/appointments/${id}/cancel`)),
    noShow: (id: number) => own.around([appt(id, 'no_show')], () => call<Appointment>('POST', `/api/appointments/${id}/no-show`)),
    /** This page's own changes under way or just made (their pushes are not announced again; lib/scheduling-api.ts claims the waitlist's). */
    own,
    noShowRate: (from: string, to: string, o?: CallOptions) =>
      call<{ items: NoShowRow[] }>('GET', `/api/analytics/no-show-rate?${q({ from, to })}`, undefined, o).then((r) => r.items),
    volume: (from: string, to: string, o?: CallOptions) =>
      call<{ items: VolumeRow[] }>('GET', `/api/analytics/volume?${q({ from, to })}`, undefined, o).then((r) => r.items),
    audit: (o?: CallOptions) => call<{ items: AuditEntry[] }>('GET', '/api/audit', undefined, o).then((r) => r.items),
    /** The same failure policy for typed wrappers kept beside their screens (lib/screens-api.ts). */
    request: call,
    query: q,
  };
}

export type Api = ReturnType<typeof createApi>;

/** A human sentence for any failure (the server's message when it sent one). */
export function describeError(err: unknown): string {
  if (err instanceof Error && err.message) return err.message;
  return 'Something went wrong. Try again.';
}
