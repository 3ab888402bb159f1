/**
 * The compliance screens' live audit feed: the listener names appended audit ids; after
 * 25 ms they are read in one go as the realtime service (clinicpulse_realtime through
 * realtime_audit_entries, never in a compliance officer's name) and sent to the
 * compliance room as ids and names of things only.
 */
import type { Knex } from 'knex';
import { asService, REALTIME_ROLE } from '../db/index.js';
import { liveAuditEntries } from '../db/repository/compliance.js';
import { ROLE_ROOMS } from './shape.js';
import type { RoomSender } from './room-sender.js';
import type { RealtimeLogger } from './types.js';

/** How many ids one read asks for (realtime_audit_entries takes up to 1000). */
const READ_CHUNK = 1000;

export class AuditFeed {
  private ids: number[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly send: RoomSender,
    private readonly appKnex: Knex,
    private readonly log: RealtimeLogger,
  ) {}

  private officersListening(): boolean {
    return this.send.has(ROLE_ROOMS.compliance);
  }

  /** An audit row was appended; nothing is kept when no compliance screen is connected here. */
  note(auditId: number): void {
    if (!this.officersListening()) return;
    this.ids.push(auditId);
    this.timer ??= setTimeout(() => {
      const pending = this.ids.length;
      void this.flush().catch((err: unknown) => {
        this.send.drop('read_failed', pending);
        this.log.error({ err }, 'realtime: reading audit entries failed');
      });
    }, 25);
  }

  private async flush(): Promise<void> {
    this.timer = undefined;
    const ids = this.ids;
    this.ids = [];
    if (ids.length === 0 || !this.officersListening()) return;
    for (let i = 0; i < ids.length; i += READ_CHUNK) {
      const chunk = ids.slice(i, i + READ_CHUNK);
      const entries = await asService(this.appKnex, REALTIME_ROLE, (trx) => liveAuditEntries(trx, chunk), { readOnly: true });
      for (const entry of entries) this.send.emit(ROLE_ROOMS.compliance, 'audit:appended', entry);
    }
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
  }
}
