/** The few API calls the dashboard makes (same origin; the browser sends Origin and the cookie). */
export interface Me {
  id: number;
  username: string;
  role: 'front_desk' | 'clinician' | 'billing' | 'manager' | 'compliance';
  providerId: number | null;
}
export interface Provider {
  providerId: number;
  name: string;
  specialty: string;
}
export interface NoShowRow {
  providerId: number;
  providerName: string;
  month: string;
  completed: number;
  noShows: number;
  rate: number | null;
}
export interface VolumeRow {
  providerId: number;
  providerName: string;
  month: string;
  appointments: number;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * `background`: the dashboard asks on its own (after a push), not the person at the desk;
 * the server then leaves the session's idle deadline alone (server/auth/sessions.ts).
 */
async function call<T>(method: string, path: string, body?: unknown, background = false): Promise<T> {
  const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
  if (background) headers['x-clinicpulse-background'] = '1';
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 204) return undefined as T;
  const json = (await res.json().catch(() => ({}))) as { error?: { code: string; message: string } };
  if (!res.ok) throw new ApiError(res.status, json.error?.code ?? 'error', json.error?.message ?? res.statusText);
  return json as T;
}

export const api = {
  me: (background = false) => call<Me>('GET', '/api/me', undefined, background),
  login: (username: string, password: string) => call<Me>('POST', '/api/login', { username, password }),
  logout: () => call<void>('POST', '/api/logout'),
  providers: () => call<{ items: Provider[] }>('GET', '/api/providers').then((r) => r.items),
  noShowRate: (from: string, to: string, background = false) =>
    call<{ items: NoShowRow[] }>('GET', `/api/analytics/no-show-rate?from=${from}&to=${to}`, undefined, background).then((r) => r.items),
  volume: (from: string, to: string, background = false) =>
    call<{ items: VolumeRow[] }>('GET', `/api/analytics/volume?from=${from}&to=${to}`, undefined, background).then((r) => r.items),
};
