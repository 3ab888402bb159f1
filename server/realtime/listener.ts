/**
 * The one PostgreSQL subscriber of a server process: LISTEN on the outbox and audit
 * channels over its own connection (pg-listen), with a paranoid health check and
 * reconnection that never gives up. NOTIFY is only a doorbell: every notification,
 * and every (re)connect, just wakes the dispatcher, which reads the outbox itself.
 * LISTEN needs no table privileges, so any login of the database will do.
 */
import createSubscriber, { type Subscriber } from 'pg-listen';

export const OUTBOX_CHANNEL = 'appointment_events';
/**
 * The audit trigger's channel (audit_log_notify, migration 20261125000006_audit): the payload
 * is one audit_id, or '<first>-<last>' for a statement that appended more than 1000 rows.
 */
export const AUDIT_CHANNEL = 'audit_events';

/**
 * The waitlist's doorbell (waitlist_entries_notify, migration 20261206001201): an empty payload
 * at the commit of any change to the waitlist.
 */
export const WAITLIST_CHANNEL = 'waitlist_events';

/** At most this many ids of one range notification reach the feed (the log itself has all). */
export const AUDIT_RANGE_MAX_IDS = 10_000;

/** The ids an audit notification names, as an inclusive range; undefined if it is not one. */
export function parseAuditPayload(payload: string): { first: number; last: number } | undefined {
  const m = /^(\d+)(?:-(\d+))?$/.exec(payload);
  if (!m) return undefined;
  const first = Number(m[1]);
  const last = m[2] === undefined ? first : Number(m[2]);
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(last) || last < first) return undefined;
  return { first, last };
}

export interface ListenerOptions {
  connectionString: string;
  /** application_name of the LISTEN connection (operators and tests find its backend by it). */
  applicationName?: string;
  /** Paranoid check interval (ms); a failed check reconnects. */
  healthCheckMs?: number;
  /** Called after the first connect and after every reconnect, once LISTEN is in place again. */
  onConnected: () => void;
  onOutbox: (lastEventId: number) => void;
  onAudit: (auditId: number) => void;
  /** The waitlist changed (an entry added, removed or booked). */
  onWaitlist?: () => void;
  onError?: (err: Error) => void;
  onReconnecting?: (attempt: number) => void;
}

export interface OutboxListener {
  close(): Promise<void>;
  /** How many times the connection has been (re)established. */
  readonly connects: number;
  /** Whether LISTEN is in place now (false from a lost connection until it is back). */
  readonly up: boolean;
  /** When the last notification arrived (ms since epoch; 0: none yet). */
  readonly lastNotificationAt: number;
}

export async function startListener(opts: ListenerOptions): Promise<OutboxListener> {
  const subscriber: Subscriber = createSubscriber(
    { connectionString: opts.connectionString, application_name: opts.applicationName ?? 'clinicpulse-realtime' },
    {
      paranoidChecking: opts.healthCheckMs ?? 5_000,
      // pg-listen gives up after 3 s by default; a live feed must outlast any outage.
      retryLimit: Infinity,
      retryTimeout: Infinity,
      retryInterval: (attempt) => Math.min(5_000, 100 * 2 ** Math.min(attempt, 6)),
      // Payloads are plain ids, not JSON.
      parse: (s: string) => s,
      serialize: (v: unknown) => String(v),
    },
  );
  let connects = 0;
  let ready = false;
  let up = false;
  let lastNotificationAt = 0;
  subscriber.events.on('error', (err) => {
    up = false;
    opts.onError?.(err);
  });
  subscriber.events.on('reconnect', (attempt) => {
    up = false;
    opts.onReconnecting?.(attempt);
  });
  subscriber.events.on('connected', () => {
    // The first 'connected' fires before our LISTENs; that one is reported after them, below.
    if (!ready) return;
    up = true;
    connects++;
    opts.onConnected();
  });
  subscriber.notifications.on(OUTBOX_CHANNEL, (payload: string) => {
    lastNotificationAt = Date.now();
    const n = Number(payload);
    if (Number.isSafeInteger(n)) opts.onOutbox(n);
  });
  subscriber.notifications.on(AUDIT_CHANNEL, (payload: string) => {
    lastNotificationAt = Date.now();
    const range = parseAuditPayload(payload);
    if (!range) return opts.onError?.(new Error(`audit notification ignored: ${JSON.stringify(payload)}`));
    const last = Math.min(range.last, range.first + AUDIT_RANGE_MAX_IDS - 1);
    if (last < range.last) opts.onError?.(new Error(`audit range ${payload}: only ids ${range.first}-${last} go to the live feed`));
    for (let id = range.first; id <= last; id++) opts.onAudit(id);
  });
  subscriber.notifications.on(WAITLIST_CHANNEL, () => {
    lastNotificationAt = Date.now();
    opts.onWaitlist?.();
  });
  await subscriber.connect();
  await subscriber.listenTo(OUTBOX_CHANNEL);
  await subscriber.listenTo(AUDIT_CHANNEL);
  await subscriber.listenTo(WAITLIST_CHANNEL);
  ready = true;
  up = true;
  connects++;
  opts.onConnected();
  return {
    close: () => {
      up = false;
      return subscriber.close();
    },
    get connects() {
      return connects;
    },
    get up() {
      return up;
    },
    get lastNotificationAt() {
      return lastNotificationAt;
    },
  };
}
