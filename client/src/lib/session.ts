/**
 * Who is signed in, and the page-wide facts every screen shares: the API client, the
 * clinic (time zone, idle sign-out) and its clock. Only a real 401 from the API signs the
 * page out; the URL is left alone, so signing in again returns to the same screen and day.
 */
import { signal, type Signal } from '@preact/signals';
import { ApiError, createApi, type Api } from './api.js';
import { ClinicClock } from './clock.js';
import type { Clinic, Me } from '../../../shared/api-types.js';

export type AuthState = 'checking' | 'signed-out' | 'signed-in';

export class Session {
  readonly api: Api;
  readonly state: Signal<AuthState> = signal('checking');
  readonly me: Signal<Me | undefined> = signal(undefined);
  readonly clinic: Signal<Clinic | undefined> = signal(undefined);
  readonly clock: Signal<ClinicClock | undefined> = signal(undefined);
  /** Shown on the sign-in page (why the person is there). */
  readonly notice: Signal<string | undefined> = signal(undefined);
  /** True while reads are failing and being retried (server restarting, network down). */
  readonly trouble: Signal<boolean> = signal(false);
  /** A startup failure other than "not signed in". */
  readonly startError: Signal<string | undefined> = signal(undefined);

  constructor() {
    this.api = createApi({
      onUnauthorized: () => this.ended('Your session ended. Please sign in again.'),
      onTrouble: (t) => {
        this.trouble.value = t;
      },
    });
  }

  async start(): Promise<void> {
    this.startError.value = undefined;
    try {
      const me = await this.api.me();
      await this.enter(me);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) this.state.value = 'signed-out';
      else this.startError.value = err instanceof Error ? err.message : 'ClinicPulse could not start.';
    }
  }

  async signIn(username: string, password: string): Promise<void> {
    const me = await this.api.login(username, password);
    this.notice.value = undefined;
    await this.enter(me);
  }

  async signOut(notice?: string): Promise<void> {
    await this.api.logout().catch(() => undefined);
    this.ended(notice);
  }

  ended(notice?: string): void {
    if (this.state.value === 'signed-out') return;
    this.notice.value = notice;
    this.me.value = undefined;
    this.state.value = 'signed-out';
  }

  private async enter(me: Me): Promise<void> {
    const clinic = await this.api.clinic();
    this.clinic.value = clinic;
    this.clock.value = new ClinicClock(clinic);
    this.me.value = me;
    this.state.value = 'signed-in';
  }
}
