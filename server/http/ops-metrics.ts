/**
 * The metrics an on-call engineer pages on besides HTTP timings (docs/operations.md,
 * "Alerts"): live push (sockets by role, watches, outbox head against the last event
 * delivered, deliveries dropped, listener state, reconnects and silence) and the age of
 * the newest backup.
 * Read at scrape time from the running parts; nothing here is kept twice.
 */
import type { Knex } from 'knex';
import client from 'prom-client';
import { OutboxReader } from '../db/repository/outbox.js';
import { DROP_REASONS, type DropReason, type Realtime } from '../realtime/index.js';
import { newestBackupAt } from '../ops/backup-files.js';
import { STAFF_ROLES } from '../../shared/vocabulary.js';

/** Live push in /readyz (503 while its LISTEN connection is down) and in /metrics. */
export function watchLivePush(clinic: { metrics: { registry: client.Registry }; readiness: Map<string, () => boolean | Promise<boolean>> }, realtime: Realtime, appKnex: Knex): void {
  clinic.readiness.set('listener', () => realtime.stats().listenerUp);
  registerRealtimeMetrics(clinic.metrics.registry, realtime, appKnex);
}

export function registerRealtimeMetrics(registry: client.Registry, realtime: Realtime, appKnex: Knex): void {
  const reader = new OutboxReader(appKnex);
  const gauge = (name: string, help: string, collect: (g: client.Gauge) => void | Promise<void>, labelNames: string[] = []) =>
    new client.Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        return collect(this);
      },
    });
  gauge(
    'realtime_sockets',
    'Live sockets by staff role.',
    (g) => {
      const byRole = new Map<string, number>();
      for (const s of realtime.io.of('/').sockets.values()) {
        const role = s.data.identity?.role ?? 'unauthenticated';
        byRole.set(role, (byRole.get(role) ?? 0) + 1);
      }
      g.reset();
      for (const role of STAFF_ROLES) g.set({ role }, byRole.get(role) ?? 0);
    },
    ['role'],
  );
  gauge('realtime_watches', 'Schedules watched (provider-days) over all sockets.', (g) => {
    let n = 0;
    for (const s of realtime.io.of('/').sockets.values()) n += s.data.watches?.size ?? 0;
    g.set(n);
  });
  gauge('realtime_outbox_head_id', 'Newest outbox event id in the database.', async (g) => {
    try {
      g.set((await reader.head()).head);
    } catch {
      // The database is down: /readyz says so; the gauge keeps its last value.
    }
  });
  gauge('realtime_outbox_delivered_id', 'Last outbox event id this process delivered (head minus this is the lag).', (g) => g.set(realtime.stats().position));
  gauge('realtime_listener_up', '1 while the LISTEN connection is in place.', (g) => g.set(realtime.stats().listenerUp ? 1 : 0));
  gauge('realtime_listener_reconnects', 'Times the LISTEN connection was re-established since start.', (g) => g.set(Math.max(0, realtime.stats().listenerConnects - 1)));
  gauge('realtime_seconds_since_last_notification', 'Seconds since the last NOTIFY arrived (-1: none since start).', (g) => {
    const at = realtime.stats().lastNotificationAt;
    g.set(at ? (Date.now() - at) / 1000 : -1);
  });
  gauge('realtime_events_delivered', 'Outbox events fanned out to sockets since start.', (g) => g.set(realtime.stats().eventsDispatched));
  // A counter (rate() over it is what an alert wants), fed at scrape time from the dispatcher's tally.
  const seen = new Map<DropReason, number>();
  new client.Counter({
    name: 'realtime_events_dropped_total',
    help: 'Deliveries that did not happen, by reason: slow_consumer (socket cut off, resumes from its cursor), disconnected, shape_failed, read_failed.',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      const now = realtime.stats().eventsDropped;
      for (const reason of DROP_REASONS) {
        this.inc({ reason }, Math.max(0, now[reason] - (seen.get(reason) ?? 0)));
        seen.set(reason, now[reason]);
      }
    },
  });
}

export function registerBackupMetrics(registry: client.Registry, backupDir: string): void {
  new client.Gauge({
    name: 'backup_age_seconds',
    help: 'Seconds since the newest verified backup manifest in BACKUP_DIR (-1: none).',
    registers: [registry],
    collect() {
      const at = newestBackupAt(backupDir);
      this.set(at ? (Date.now() - at.getTime()) / 1000 : -1);
    },
  });
}
