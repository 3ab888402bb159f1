/**
 * Erasure: find the person, give a reason, confirm in a dialog that names them and says what
 * cannot be undone, and see the outcome — erased, or refused because of a legal hold (the
 * hold's reason shown; the refusal is recorded either way).
 */
import { useMemo, useRef, useState } from 'preact/hooks';
import { useApp } from '../../components/context.js';
import { useFocusAfterRender } from '../../components/focus.js';
import { Confirm } from '../../components/dialog.js';
import { Outcome } from '../../components/states.js';
import { ApiError, describeError } from '../../lib/api.js';
import { screensApi } from '../../lib/screens-api.js';
import type { CompliancePatient } from '../../../../shared/api-types.js';
import { PatientFinder, describePatient } from './patient-finder.js';
import { BusyButton } from '../../components/busy-button.js';

export function Erasure() {
  const { api, announce } = useApp();
  const sapi = useMemo(() => screensApi(api), [api]);
  const [patient, setPatient] = useState<CompliancePatient>();
  // Choosing the patient replaces the finder with the form, "Choose another patient" brings it back: the focus follows.
  const reasonField = useRef<HTMLTextAreaElement>(null);
  const findPatient = useRef<HTMLInputElement>(null);
  const focusAfterRender = useFocusAfterRender();
  const [reason, setReason] = useState('');
  const [reasonError, setReasonError] = useState<string>();
  const [confirming, setConfirming] = useState(false);
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string }>();
  const [busy, setBusy] = useState(false);

  const erase = async () => {
    if (!patient) return;
    setConfirming(false);
    setBusy(true);
    try {
      const r = await sapi.erase(patient.patientId, reason.trim());
      const text =
        r.outcome === 'erased'
          ? `${patient.name} (#${patient.patientId}) was erased${r.erasureId ? ` (erasure #${r.erasureId})` : ''}. Their identity is now a pseudonym and their notes are unreadable.`
          : `${patient.name} (#${patient.patientId}) had already been erased; nothing changed.`;
      setOutcome({ ok: true, text });
      announce(text);
      setPatient(undefined);
      setReason('');
    } catch (err) {
      const hold = err instanceof ApiError && err.code === 'legal_hold';
      const holdReason = hold ? (err.details as { legalHoldReason?: string } | undefined)?.legalHoldReason : undefined;
      const text = hold
        ? `Refused: ${patient.name} is under legal hold${holdReason ? ` (${holdReason})` : ''}. Nothing was erased; the refusal was recorded.`
        : `Not erased: ${describeError(err)}`;
      setOutcome({ ok: false, text });
      announce(text, 'assertive');
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="card" aria-labelledby="erasure-h">
      <h2 id="erasure-h">Erasure (right to be forgotten)</h2>
      {outcome && <Outcome ok={outcome.ok} text={outcome.text} />}
      {!patient ? (
        <PatientFinder
          label="Find the patient to erase (name or id)"
          action={(p) => `Select ${describePatient(p)}`}
          onPick={(p) => (setPatient(p), setOutcome(undefined), focusAfterRender(reasonField))}
          input={findPatient}
        />
      ) : (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (reason.trim().length < 5) return setReasonError('Give the basis for the erasure (at least 5 characters), e.g. the request and its ticket.');
            setReasonError(undefined);
            setConfirming(true);
          }}
          noValidate
        >
          <p>
            Selected: <strong>{describePatient(patient)}</strong>{' '}
            {/* Not while the erasure is under way: its answer clears the form, which would then be another patient's. */}
            <BusyButton type="button" class="secondary" busy={busy} onClick={() => (setPatient(undefined), focusAfterRender(findPatient))}>
              Choose another patient
            </BusyButton>
          </p>
          <label>
            Reason for erasure
            <textarea ref={reasonField} value={reason} maxLength={1000} aria-invalid={reasonError ? 'true' : undefined} aria-describedby="reason-err" onInput={(e) => setReason(e.currentTarget.value)} />
          </label>
          <span id="reason-err" class="field-error" role="alert">{reasonError ?? ''}</span>
          <p class="hint">Do not repeat the patient's identity in the reason; it is kept in the erasure ledger.</p>
          <div class="actions">
            <BusyButton type="submit" class="danger" busy={busy}>
              Erase this patient…
            </BusyButton>
          </div>
        </form>
      )}
      {confirming && patient && (
        <Confirm
          title={`Erase ${patient.name}?`}
          message={`${patient.name}, born ${patient.dob} (patient #${patient.patientId}): their name, date of birth and contact details are replaced by a pseudonym and their data key is destroyed, so their encrypted visit notes can never be read again. This cannot be undone. Appointments and visits stay (without identity) so the clinic's statistics do not change.`}
          confirmLabel={`Erase ${patient.name} permanently`}
          onConfirm={() => void erase()}
          onClose={() => setConfirming(false)}
        />
      )}
    </section>
  );
}
