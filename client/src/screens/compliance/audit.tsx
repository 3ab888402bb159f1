/**
 * The audit log: newest first, filtered on the server, paged backwards with the keyset
 * cursor, and kept live: each audit:appended fetches what is newer than the top row under
 * the same filters, so a new entry appears at the top only if it matches them.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { useApp } from '../../components/context.js';
import { useFocusAfterRender } from '../../components/focus.js';
import { Empty, ErrorView, Loading, useResource } from '../../components/states.js';
import { screensApi, type AuditFilter } from '../../lib/screens-api.js';
import type { AuditEntry, CompliancePatient } from '../../../../shared/api-types.js';
import { AUDIT_ACTIONS, AUDIT_SEVERITIES } from '../../../../shared/vocabulary.js';
import { PatientFinder, describePatient } from './patient-finder.js';
import { FilterSelect } from '../../components/options.js';
import { ColumnHeads } from '../../components/column-heads.js';
import { LoadMore, usePages } from '../../components/pages.js';

const PAGE = 50;
/** A live pull reads at most this many pages; a larger burst reloads the list from the newest. */
const MAX_LIVE_PAGES = 20;

export function AuditLog() {
  const { api, live, clock, announce } = useApp();
  const sapi = useMemo(() => screensApi(api), [api]);
  const staff = useResource((signal) => sapi.staff({ signal }), []);
  const [actor, setActor] = useState('');
  const [patient, setPatient] = useState<CompliancePatient>();
  // Choosing a patient replaces the finder with the choice, clearing it brings the finder back: the focus follows.
  const clearPatient = useRef<HTMLButtonElement>(null);
  const findPatient = useRef<HTMLInputElement>(null);
  const focusAfterRender = useFocusAfterRender();
  const [action, setAction] = useState('');
  const [table, setTable] = useState('');
  // What is typed in the table field (kept as typed: a live entry re-rendering the page must not
  // wipe it), applied half a second after the last keystroke or when the field is left.
  const [tableText, setTableText] = useState('');
  useEffect(() => {
    const t = setTimeout(() => setTable(tableText), 500);
    return () => clearTimeout(t);
  }, [tableText]);
  const [severity, setSeverity] = useState('');
  const [fromLocal, setFromLocal] = useState('');
  const [toLocal, setToLocal] = useState('');
  const [fresh, setFresh] = useState<Set<number>>(new Set());

  const toInstant = (v: string) => {
    if (!v) return undefined;
    const [d, t] = v.split('T') as [string, string];
    const [h, m] = t.split(':').map(Number) as [number, number];
    return clock.instant(d, h * 60 + m);
  };
  const filter: AuditFilter = {
    actorUserId: actor ? Number(actor) : undefined,
    patientId: patient?.patientId,
    action: action || undefined,
    table: table.trim() || undefined,
    severity: severity || undefined,
    from: toInstant(fromLocal),
    to: toInstant(toLocal),
  };
  const pages = usePages((before: number | undefined, signal) => sapi.audit({ ...filter, before, limit: PAGE }, { signal }), JSON.stringify(filter));
  // `generation` says which filters the list holds: a live pull asked under earlier filters must not land in it.
  const { items: entries, setItems: setEntries, error, generation } = pages;
  const reloadRef = useRef(pages.reload);
  reloadRef.current = pages.reload;
  const filterRef = useRef(filter);
  filterRef.current = filter;
  const entriesRef = useRef(entries);
  entriesRef.current = entries;

  // Live: fetch what is newer than the top row, under the current filters.
  useEffect(() => {
    let busy = false;
    let again = false;
    const pull = async () => {
      if (busy) return void (again = true);
      busy = true;
      try {
        do {
          again = false;
          if (!entriesRef.current) break;
          const asked = generation.current;
          const since = entriesRef.current[0]?.auditId ?? 0;
          // Everything newer than the top row: page backwards while a whole page is newer (a burst
          // of more than one page must not leave a gap), at most MAX_LIVE_PAGES pages.
          // Asked by the page, not the person: a stream of audit entries must not keep the session alive.
          const got: AuditEntry[] = [];
          let before: number | undefined;
          let reached = false;
          for (let n = 0; n < MAX_LIVE_PAGES && !reached; n++) {
            const r = await sapi.audit({ ...filterRef.current, limit: PAGE, before }, { background: true });
            got.push(...r.items.filter((e) => e.auditId > since));
            reached = r.nextBefore === null || r.items.length === 0 || r.items[r.items.length - 1]!.auditId <= since;
            before = r.nextBefore ?? undefined;
          }
          // The filters changed meanwhile (their own load brings what matches them), or that load is still running.
          const current = entriesRef.current;
          if (asked !== generation.current || !current) break;
          if (!reached) {
            // More than MAX_LIVE_PAGES pages arrived at once: start again from the newest, without a gap.
            reloadRef.current();
            break;
          }
          const top = current[0]?.auditId ?? 0;
          const newer = got.filter((e) => e.auditId > top);
          if (newer.length > 0) {
            // Against the list as it is when this lands, so nothing is added twice.
            setEntries((list) => list && [...got.filter((e) => e.auditId > (list[0]?.auditId ?? 0)), ...list]);
            setFresh(new Set(newer.map((e) => e.auditId)));
            announce(newer.length === 1 ? 'New audit entry at the top.' : `New audit entries at the top: ${newer.length}.`);
          }
        } while (again);
        live.touch();
      } catch {
        // The next append (or a reload) tries again; the table keeps what it has.
      } finally {
        busy = false;
      }
    };
    const on = () => void pull();
    live.socket.on('audit:appended', on);
    // Back after a disconnect (a restart, a network drop): what was appended meanwhile was pushed to nobody.
    live.socket.on('connect', on);
    return () => {
      live.socket.off('audit:appended', on);
      live.socket.off('connect', on);
    };
  }, [live, sapi, announce]);

  return (
    <section class="card" aria-labelledby="audit-h">
      <h2 id="audit-h">Audit log</h2>
      <div class="toolbar">
        <label>
          Actor
          <select value={actor} onChange={(e) => setActor(e.currentTarget.value)}>
            <option value="">Anyone</option>
            {(staff.data ?? []).map((s) => (
              <option key={s.userId} value={String(s.userId)}>
                {s.username} ({s.role})
              </option>
            ))}
          </select>
        </label>
        {staff.status === 'error' && <ErrorView error={staff.error} retry={staff.reload} what="The staff list for the Actor filter could not be loaded." />}
        <FilterSelect label="Action" any="Any action" values={AUDIT_ACTIONS} value={action} onChange={setAction} />
        <label>
          Table
          <input value={tableText} placeholder="e.g. visits" onInput={(e) => setTableText(e.currentTarget.value)} onChange={(e) => setTable(e.currentTarget.value)} />
        </label>
        <FilterSelect label="Severity" any="Any severity" values={AUDIT_SEVERITIES} value={severity} onChange={setSeverity} />
        <label>
          From (clinic time{clock.browserDiffers ? `, ${clock.zoneLabel}` : ''})
          <input type="datetime-local" value={fromLocal} onChange={(e) => setFromLocal(e.currentTarget.value)} />
        </label>
        <label>
          To (clinic time{clock.browserDiffers ? `, ${clock.zoneLabel}` : ''})
          <input type="datetime-local" value={toLocal} onChange={(e) => setToLocal(e.currentTarget.value)} />
        </label>
      </div>
      {patient ? (
        <p>
          Showing entries for patient <strong>{describePatient(patient)}</strong>{' '}
          <button ref={clearPatient} type="button" class="secondary" onClick={() => (setPatient(undefined), focusAfterRender(findPatient))}>
            Clear patient filter
          </button>
        </p>
      ) : (
        <PatientFinder
          label="Filter by patient (name or id)"
          action={(p) => `Show entries for ${describePatient(p)}`}
          onPick={(p) => (setPatient(p), focusAfterRender(clearPatient))}
          input={findPatient}
        />
      )}
      {error !== undefined && <ErrorView error={error} retry={pages.reload} what="The audit log could not be loaded." />}
      {entries === undefined && error === undefined && <Loading />}
      {entries && entries.length === 0 && <Empty>No audit entries match these filters.</Empty>}
      {entries && entries.length > 0 && (
        <div class="table-wrap">
          <table>
            <caption>Audit entries, newest first (new ones appear at the top)</caption>
            <ColumnHeads names={['#', 'When (clinic time)', 'Actor', 'Action', 'Severity', 'Record', 'Patient', 'Columns']} />
            <tbody>
              {entries.map((e) => (
                <tr key={e.auditId} class={fresh.has(e.auditId) ? 'flash' : undefined}>
                  <td>{e.auditId}</td>
                  <td>
                    {clock.wall(e.at).date} {clock.timeLabelled(e.at)}
                  </td>
                  <td>{e.actorUsername ? `${e.actorUsername} · ${e.actorRole}` : e.actorRole === 'system' || e.actorUserId === null ? `database (${e.actorRole})` : `#${e.actorUserId} · ${e.actorRole}`}</td>
                  <td>{e.action}</td>
                  <td>{e.severity}</td>
                  <td>{e.table ? `${e.table}${e.rowKey ? ` ${e.rowKey}` : ''}` : '—'}</td>
                  <td>{e.subjectPatientId === null ? (e.patientIds?.length ? `${e.patientIds.length} patients` : '—') : `${e.patientName ?? 'unknown'} (#${e.subjectPatientId})`}</td>
                  <td>{e.changedColumns?.join(', ') ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <LoadMore pages={pages} label="Load older entries" noun="entries" />
    </section>
  );
}
