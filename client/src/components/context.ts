/**
 * What every screen gets from the shell: the session (API, clinic, clock), the live
 * connection and the screen-reader announcer. Provided once per signed-in page.
 */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Session } from '../lib/session.js';
import type { LiveConnection } from '../lib/live.js';
import type { ClinicClock } from '../lib/clock.js';
import type { Api } from '../lib/api.js';
import type { Me } from '../../../shared/api-types.js';

export interface AppContextValue {
  session: Session;
  api: Api;
  me: Me;
  clock: ClinicClock;
  live: LiveConnection;
  /** Say something to screen readers (polite; 'assertive' for errors); `kind`: a newer message of the same kind replaces it if it is not said yet (lib/announcer.ts). */
  announce(message: string, politeness?: 'polite' | 'assertive', kind?: string): void;
}

export const AppContext = createContext<AppContextValue | undefined>(undefined);

export function useApp(): AppContextValue {
  const v = useContext(AppContext);
  if (!v) throw new Error('useApp outside the signed-in shell');
  return v;
}
