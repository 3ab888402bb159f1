/**
 * Complete a visit: ICD-10-CM diagnoses and formulary prescriptions picked from server-side
 * searches, dosage and start/end dates, and a note. Hints are shown as the clinician types
 * (an end before the start), but the server decides: a refusal names the field it is about
 * and says that nothing was saved (the completion is one transaction).
 */
import type { RefObject } from 'preact';
import { useMemo, useRef, useState } from 'preact/hooks';
import { useApp } from '../../components/context.js';
import { Confirm, Dialog } from '../../components/dialog.js';
import { ApiError, describeError } from '../../lib/api.js';
import { screensApi } from '../../lib/screens-api.js';
import type { Icd10Code, Medication, ScheduleEntry } from '../../../../shared/api-types.js';
import { TypeAheadStatus, useTypeAhead } from '../../components/type-ahead.js';
import { BusyButton } from '../../components/busy-button.js';

/**
 * A search box whose results are buttons; searching waits for a pause in typing. Choosing a
 * result empties the box and puts the focus back in it (the result's button is gone). Enter in
 * the box goes to the first result (Enter again adds it): it never submits the visit.
 */
function Picker<T>({
  label,
  search,
  describe,
  onPick,
  input,
}: {
  label: string;
  search: (q: string, signal: AbortSignal) => Promise<T[]>;
  describe: (t: T) => string;
  onPick: (t: T) => void;
  /** The search box, for the form to put the focus back in after a removal. */
  input: RefObject<HTMLInputElement | null>;
}) {
  const [q, setQ] = useState('');
  const found = useTypeAhead(q, search);
  const { results, error } = found;
  const id = `pick-${label.replace(/\W+/g, '-').toLowerCase()}`;
  const list = useRef<HTMLUListElement>(null);
  return (
    <div>
      <label>
        {label}
        <input
          ref={input}
          type="search"
          value={q}
          onInput={(e) => setQ(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key !== 'Enter') return;
            e.preventDefault();
            if (!found.searching) list.current?.querySelector<HTMLButtonElement>('button')?.focus();
          }}
          aria-describedby={`${id}-count`}
          autocomplete="off"
        />
      </label>
      <TypeAheadStatus id={`${id}-count`} search={found} />
      {error && <p class="error" role="alert">{error}</p>}
      {results && results.length > 0 && (
        <ul ref={list} class="results" aria-label={`${label}: results`} aria-busy={found.searching}>
          {results.map((r) => (
            <li key={describe(r)}>
              <button
                type="button"
                onClick={() => {
                  onPick(r);
                  setQ('');
                  input.current?.focus();
                }}
              >
                Add {describe(r)}
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

interface RxDraft {
  key: number;
  medication: Medication;
  dosage: string;
  startDate: string;
  endDate: string;
}

const medLabel = (m: Medication) => `${m.name} ${m.form} ${m.strength}`;

/** Field errors from a 400: "prescriptions.0.endDate" → message, "notes" → message. */
function fieldErrors(err: ApiError): Record<string, string> {
  const out: Record<string, string> = {};
  for (const i of err.details?.issues ?? []) {
    const key = i.path.replace(/^body\./, '');
    if (!(key in out)) out[key] = i.message;
  }
  return out;
}

/**
 * The same errors with each prescription's position in the request ("prescriptions.0.endDate")
 * replaced by its draft's key ("rx.7.endDate"): an error stays on its prescription when
 * another one is removed above it.
 */
function byDraft(errors: Record<string, string>, sent: RxDraft[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [path, message] of Object.entries(errors)) {
    const m = /^prescriptions\.(\d+)\.(.+)$/.exec(path);
    const draft = m ? sent[Number(m[1])] : undefined;
    out[m && draft ? `rx.${draft.key}.${m[2]}` : path] = message;
  }
  return out;
}

export function CompleteVisit({ appointment, onClose, onDone }: { appointment: ScheduleEntry; onClose: () => void; onDone: () => void }) {
  const { api, clock, announce } = useApp();
  const sapi = useMemo(() => screensApi(api), [api]);
  const [diagnoses, setDiagnoses] = useState<Icd10Code[]>([]);
  const [rx, setRx] = useState<RxDraft[]>([]);
  const [notes, setNotes] = useState('');
  const [busy, setBusy] = useState(false);
  const [refusal, setRefusal] = useState<string>();
  const [errors, setErrors] = useState<Record<string, string>>({});
  const nextKey = useRef(1);
  // A removed diagnosis or prescription takes its Remove button with it: the focus goes back to its search box.
  const icdSearch = useRef<HTMLInputElement>(null);
  const rxSearch = useRef<HTMLInputElement>(null);
  const today = clock.today();
  // Closing a started draft (Escape, ×, Cancel) asks first: nothing of it has been saved.
  const [confirmingDiscard, setConfirmingDiscard] = useState(false);
  const started = diagnoses.length > 0 || rx.length > 0 || notes.trim() !== '';
  const close = () => (started ? setConfirmingDiscard(true) : onClose());

  const update = (key: number, patch: Partial<RxDraft>) => setRx((list) => list.map((r) => (r.key === key ? { ...r, ...patch } : r)));

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setRefusal(undefined);
    setErrors({});
    try {
      await sapi.complete(appointment.appointmentId, {
        diagnoses: diagnoses.map((d) => ({ code: d.code, description: d.description })),
        prescriptions: rx.map((r) => ({ medicationId: r.medication.medicationId, dosage: r.dosage, startDate: r.startDate, endDate: r.endDate === '' ? null : r.endDate })),
        ...(notes.trim() !== '' ? { notes } : {}),
      });
      onDone();
    } catch (err) {
      const fe = err instanceof ApiError ? fieldErrors(err) : {};
      setErrors(byDraft(fe, rx));
      const first = Object.entries(fe)[0];
      const where = first ? describeField(first[0], rx) : undefined;
      const text = `Nothing was saved. ${where ? `${where}: ${first![1]}` : describeError(err)}`;
      setRefusal(text);
      announce(text, 'assertive');
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog title={`Complete visit: ${appointment.patientName}`} onClose={close} wide>
      {/* Only its Complete visit button saves the visit: Enter in a field (a search, a dosage, a date) would save it
          half-written, and a completed visit cannot be reopened. */}
      <form
        onSubmit={submit}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && e.target instanceof HTMLInputElement) e.preventDefault();
        }}
        noValidate
      >
        <p class="hint">
          Booked {clock.longDate(appointment.clinicDate)} at {clock.timeLabelled(appointment.scheduledAt)}. Everything below is saved together, or nothing is.
        </p>
        {refusal && (
          <p class="banner" role="alert">
            {refusal}
          </p>
        )}
        <fieldset>
          <legend>Diagnoses (ICD-10-CM)</legend>
          <Picker<Icd10Code>
            label="Search ICD-10-CM (code or words)"
            input={icdSearch}
            search={(q, signal) => sapi.icd10(q, { signal, retry: false })}
            describe={(c) => `${c.code} ${c.description}`}
            onPick={(c) => setDiagnoses((list) => (list.some((d) => d.code === c.code) ? list : [...list, c]))}
          />
          {diagnoses.length === 0 ? (
            <p class="hint">No diagnosis added.</p>
          ) : (
            <ul class="chips" aria-label="Diagnoses added">
              {diagnoses.map((d) => (
                <li key={d.code}>
                  {d.code} {d.description}
                  <button type="button" class="secondary" aria-label={`Remove ${d.code}`} onClick={() => (setDiagnoses((list) => list.filter((x) => x.code !== d.code)), icdSearch.current?.focus())}>
                    ×
                  </button>
                </li>
              ))}
            </ul>
          )}
          {errors.diagnoses && <p class="field-error">{errors.diagnoses}</p>}
        </fieldset>
        <fieldset>
          <legend>Prescriptions</legend>
          <Picker<Medication>
            label="Search the formulary"
            input={rxSearch}
            search={(q, signal) => sapi.medications(q, { signal, retry: false })}
            describe={medLabel}
            onPick={(m) => setRx((list) => [...list, { key: nextKey.current++, medication: m, dosage: '', startDate: today, endDate: '' }])}
          />
          {rx.map((r) => {
            const err = (f: string) => errors[`rx.${r.key}.${f}`];
            const endBeforeStart = r.endDate !== '' && r.startDate !== '' && r.endDate < r.startDate;
            const id = `rx-${r.key}`;
            return (
              <fieldset key={r.key}>
                <legend>{medLabel(r.medication)}</legend>
                <div class="row">
                  <label>
                    Dosage
                    <input value={r.dosage} maxLength={200} aria-invalid={err('dosage') ? 'true' : undefined} aria-describedby={`${id}-dosage-err`} onInput={(e) => update(r.key, { dosage: e.currentTarget.value })} />
                    <span id={`${id}-dosage-err`} class="field-error">{err('dosage') ?? ''}</span>
                  </label>
                  <label>
                    Start date
                    <input type="date" value={r.startDate} aria-invalid={err('startDate') ? 'true' : undefined} aria-describedby={`${id}-start-err`} onInput={(e) => update(r.key, { startDate: e.currentTarget.value })} />
                    <span id={`${id}-start-err`} class="field-error">{err('startDate') ?? ''}</span>
                  </label>
                  <label>
                    End date
                    <input type="date" value={r.endDate} aria-invalid={err('endDate') ? 'true' : undefined} aria-describedby={`${id}-end-err ${id}-end-hint`} onInput={(e) => update(r.key, { endDate: e.currentTarget.value })} />
                    <span id={`${id}-end-hint`} class="hint">{endBeforeStart && !err('endDate') ? 'Hint: this ends before it starts; the server will refuse it.' : 'Leave empty for open-ended.'}</span>
                    <span id={`${id}-end-err`} class="field-error">{err('endDate') ? `End date: ${err('endDate')}` : ''}</span>
                  </label>
                </div>
                {err('medicationId') && <p class="field-error">{err('medicationId')}</p>}
                <button type="button" class="secondary" onClick={() => (setRx((list) => list.filter((x) => x.key !== r.key)), rxSearch.current?.focus())}>
                  Remove {medLabel(r.medication)}
                </button>
              </fieldset>
            );
          })}
        </fieldset>
        <label>
          Visit note (stored encrypted)
          <textarea value={notes} maxLength={20000} onInput={(e) => setNotes(e.currentTarget.value)} aria-describedby="note-err" />
        </label>
        <span id="note-err" class="field-error">{errors.notes ?? ''}</span>
        <div class="actions">
          <BusyButton type="submit" busy={busy}>
            {busy ? 'Saving…' : 'Complete visit'}
          </BusyButton>
          <button type="button" class="secondary" onClick={close}>
            Cancel
          </button>
        </div>
      </form>
      {confirmingDiscard && (
        <Confirm
          title="Discard this visit?"
          message="The diagnoses, prescriptions and note entered here have not been saved and will be lost."
          confirmLabel="Discard"
          onConfirm={onClose}
          onClose={() => setConfirmingDiscard(false)}
        />
      )}
    </Dialog>
  );
}

function describeField(path: string, rx: RxDraft[]): string {
  const m = /^prescriptions\.(\d+)\.(\w+)$/.exec(path);
  if (m) {
    const label: Record<string, string> = { endDate: 'End date', startDate: 'Start date', dosage: 'Dosage', medicationId: 'Medication' };
    const r = rx[Number(m[1])];
    return `${label[m[2]!] ?? m[2]} of ${r ? medLabel(r.medication) : 'a prescription'}`;
  }
  if (path.startsWith('diagnoses')) return 'Diagnoses';
  if (path === 'notes') return 'Visit note';
  return path;
}
