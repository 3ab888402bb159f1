/** Find a patient by name or id (compliance's own finder, GET /api/compliance/patients). */
import type { RefObject } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import { useApp } from '../../components/context.js';
import { screensApi } from '../../lib/screens-api.js';
import type { CompliancePatient } from '../../../../shared/api-types.js';
import { TypeAheadStatus, useTypeAhead } from '../../components/type-ahead.js';

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
  const search = useTypeAhead(q, (text, signal) => sapi.findPatients(text, { signal, retry: false }));
  const { results, error } = search;
  return (
    <div>
      <label>
        {label}
        <input ref={input} type="search" value={q} autocomplete="off" onInput={(e) => setQ(e.currentTarget.value)} />
      </label>
      {error && <p class="error" role="alert">{error}</p>}
      <TypeAheadStatus search={search} nothing="No patient matches." />
      {results && results.length > 0 && (
        <ul class="results" aria-label={`${label}: results`} aria-busy={search.searching}>
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
