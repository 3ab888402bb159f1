/**
 * PLACEHOLDER compliance screen (a port of the previous dashboard; the compliance screen
 * replaces it): audit entries as they are appended.
 */
import { useEffect, useState } from 'preact/hooks';
import { useApp } from '../../components/context.js';
import { Empty } from '../../components/states.js';
import type { AuditAppended } from '../../../../shared/events.js';

export default function ComplianceScreen() {
  const { live, clock } = useApp();
  const [feed, setFeed] = useState<AuditAppended[]>([]);
  useEffect(() => {
    const on = (a: AuditAppended) => setFeed((f) => [a, ...f].slice(0, 200));
    live.socket.on('audit:appended', on);
    return () => void live.socket.off('audit:appended', on);
  }, [live]);
  return (
    <section class="card">
      <h2>Audit log, live</h2>
      {feed.length === 0 ? (
        <Empty>Waiting for audit entries…</Empty>
      ) : (
        <ul class="feed">
          {feed.map((a) => (
            <li key={a.auditId}>
              <code>#{a.auditId}</code> {clock.time(a.at)} · {a.actorRole} · {a.action} {a.table ?? ''}
            </li>
          ))}
        </ul>
      )}
      <p class="hint">The full, filterable log is at GET /api/audit.</p>
    </section>
  );
}
