/** Find a patient by name or id (compliance's own finder, GET /api/compliance/patients). */
import type { RefObject } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import { useApp } from '../../components/context.js';
import { screensApi } from '../../lib/screens-api.js';
import type { CompliancePatient } from '../../../../shared/api-types.js';
import { useTypeAhead } from '../../components/type-ahead.js';

export function PatientFinder({
  label,
  action,
  onPick,
  input,
}: {
  label: string;
  action: (p: CompliancePatient) => string;
  onPick: (p: CompliancePatient) => void;
  /** The search box, for the screen to put the focus back in when the finder returns. */
  input?: RefObject<HTMLInputElement | null>;
}) {
  const { api } = useApp();
  const sapi = useMemo(() => screensApi(api), [api]);
  const [q, setQ] = useState('');
  const { results, error } = useTypeAhead(q, (text, signal) => sapi.findPatients(text, { signal, retry: false }));
  return (
    <div>
      <label>
        {label}
        <input ref={input} type="search" value={q} autocomplete="off" onInput={(e) => setQ(e.currentTarget.value)} />
      </label>
      {error && <p class="error" role="alert">{error}</p>}
      {results && (
        <p class="hint" aria-live="polite">
          {results.length === 0 ? 'No patient matches.' : `${results.length} match${results.length === 1 ? '' : 'es'}.`}
        </p>
      )}
      {results && results.length > 0 && (
        <ul class="results" aria-label={`${label}: results`}>
          {results.map((p) => (
            <li key={p.patientId}>
              <button
                type="button"
                onClick={() => {
                  onPick(p);
                  setQ('');
                }}
              >
                {action(p)}
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export const describePatient = (p: CompliancePatient) =>
  `${p.name} (#${p.patientId}, born ${p.dob})${p.erasedAt ? ', already erased' : ''}${p.legalHoldReason ? `, legal hold: ${p.legalHoldReason}` : ''}`;
