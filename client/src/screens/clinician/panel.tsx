/**
 * The patient panel: what a clinician may see of one of their own patients. Visits and
 * prescriptions come through the audited read functions, and each visit note is opened on
 * request (one audited read per open); the panel says so.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { useApp } from '../../components/context.js';
import { Dialog } from '../../components/dialog.js';
import { Empty, ErrorView, Loading, useResource } from '../../components/states.js';
import { describeError } from '../../lib/api.js';
import { screensApi } from '../../lib/screens-api.js';
import type { PanelVisit } from '../../../../shared/api-types.js';
import { APPOINTMENT_STATUS_LABELS } from '../../../../shared/vocabulary.js';
import { ColumnHeads } from '../../components/column-heads.js';
import { BusyButton } from '../../components/busy-button.js';

const STATUS_LABEL: Record<string, string> = APPOINTMENT_STATUS_LABELS;

function Visit({ visit }: { visit: PanelVisit }) {
  const { api, clock } = useApp();
  const sapi = useMemo(() => screensApi(api), [api]);
  const [note, setNote] = useState<{ text?: string; error?: string; busy?: boolean }>({});
  // The note takes the place of its Show note button, and the focus with it.
  const noteRef = useRef<HTMLQuoteElement>(null);
  useEffect(() => {
    if (note.text !== undefined) noteRef.current?.focus();
  }, [note.text]);
  const when = clock.wall(visit.startedAt);
  return (
    <article class="visit" aria-label={`Visit on ${clock.longDate(when.date)}`}>
      <h4>
        {clock.longDate(when.date)} · {clock.timeLabelled(visit.startedAt)} · {visit.providerName}
      </h4>
      <p>
        <strong>Diagnoses:</strong>{' '}
        {visit.diagnoses.length === 0 ? 'none recorded' : visit.diagnoses.map((d) => `${d.code} ${d.description}`).join('; ')}
      </p>
      <p>
        <strong>Prescriptions:</strong>{' '}
        {visit.prescriptions.length === 0
          ? 'none'
          : visit.prescriptions
              .map((p) => `${p.medicationName} ${p.form} ${p.strength}, ${p.dosage}, from ${p.startDate}${p.endDate ? ` to ${p.endDate}` : ''}`)
              .join('; ')}
      </p>
      {note.text !== undefined ? (
        <blockquote ref={noteRef} tabIndex={-1} class="note" aria-label="Visit note">
          {note.text}
        </blockquote>
      ) : (
        <BusyButton
          type="button"
          class="secondary"
          busy={note.busy === true}
          aria-label={`Show note of the visit on ${clock.longDate(when.date)}`}
          onClick={async () => {
            setNote({ busy: true });
            try {
              setNote({ text: (await sapi.note(visit.visitId)).note });
            } catch (err) {
              setNote({ error: describeError(err) });
            }
          }}
        >
          {note.busy ? 'Opening the note…' : 'Show note'}
        </BusyButton>
      )}
      {note.error && <p class="error" role="alert">{note.error}</p>}
    </article>
  );
}

export function PatientPanel({ patientId, name, onClose }: { patientId: number; name: string; onClose: () => void }) {
  const { api, clock } = useApp();
  const sapi = useMemo(() => screensApi(api), [api]);
  const panel = useResource((signal) => sapi.panel(patientId, { signal }), [patientId]);
  const p = panel.data;
  return (
    <Dialog title={`Patient chart: ${name}`} onClose={onClose} wide>
      <p class="hint">Opening this chart and each visit note is recorded in the audit log.</p>
      {panel.status === 'error' && <ErrorView error={panel.error} retry={panel.reload} what="The chart could not be opened." />}
      {!p && panel.status === 'loading' && <Loading />}
      {p && (
        <div>
          <h3>Demographics</h3>
          <dl class="kv">
            <dt>Name</dt>
            <dd>{p.patient.name}</dd>
            <dt>Date of birth</dt>
            <dd>{p.patient.dob}</dd>
            <dt>Email</dt>
            <dd>{p.patient.email ?? '—'}</dd>
            <dt>Phone</dt>
            <dd>{p.patient.phone ?? '—'}</dd>
          </dl>
          <h3>Active prescriptions</h3>
          {p.activePrescriptions.length === 0 ? (
            <Empty>No prescription in force today.</Empty>
          ) : (
            <table>
              <caption class="visually-hidden">Active prescriptions</caption>
              <ColumnHeads names={['Medication', 'Dosage', 'From', 'Until']} />
              <tbody>
                {p.activePrescriptions.map((rx) => (
                  <tr key={rx.prescriptionId}>
                    <td>
                      {rx.medicationName} {rx.form} {rx.strength}
                    </td>
                    <td>{rx.dosage}</td>
                    <td>{rx.startDate}</td>
                    <td>{rx.endDate ?? 'open-ended'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <h3>Past visits</h3>
          {p.visits.length === 0 ? <Empty>No visits yet.</Empty> : p.visits.map((v) => <Visit key={v.visitId} visit={v} />)}
          <h3>Appointment history</h3>
          {p.appointments.length === 0 ? (
            <Empty>No appointments.</Empty>
          ) : (
            <table>
              <caption class="visually-hidden">Appointment history, newest first</caption>
              <ColumnHeads names={['Date', 'Time', 'Provider', 'Status']} />
              <tbody>
                {p.appointments.map((a) => (
                  <tr key={a.appointmentId}>
                    <td>{a.clinicDate}</td>
                    <td>{clock.timeLabelled(a.scheduledAt)}</td>
                    <td>{a.providerName}</td>
                    <td>{STATUS_LABEL[a.status]}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      )}
    </Dialog>
  );
}
