/**
 * Break-the-glass: emergency access to a patient outside the clinician's care. A reason
 * (kept for compliance), a time limit shown before and after, and a banner for each grant
 * while it is in force (with the minutes left and a way to open the chart).
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { useApp } from '../../components/context.js';
import { ApiError, describeError } from '../../lib/api.js';
import { screensApi } from '../../lib/screens-api.js';
import type { BreakGlassGrant } from '../../../../shared/api-types.js';
import { BusyButton } from '../../components/busy-button.js';

/**
 * Whole minutes left, rounded up, and never more than the grant's own length: the page's
 * estimate of the server's clock lags it by the latency of the request that measured it
 * (a second or more on a loaded machine), which alone made a fresh 30-minute grant read 31.
 */
function minutesLeft(g: BreakGlassGrant, at: number): number {
  const end = Date.parse(g.expiresAt);
  const length = Math.ceil((end - Date.parse(g.grantedAt)) / 60_000);
  return Math.max(0, Math.min(length, Math.ceil((end - at) / 60_000)));
}

export function BreakGlassBanners({ grants, now, onOpen }: { grants: BreakGlassGrant[]; now: number; onOpen: (g: BreakGlassGrant) => void }) {
  const { clock } = useApp();
  // `now` ticks once a minute and re-renders this; the minutes left are counted from the
  // moment of rendering, so a grant made between two ticks never shows more than its limit.
  const at = Math.max(now, clock.now());
  const live = grants.filter((g) => Date.parse(g.expiresAt) > at);
  if (live.length === 0) return null;
  return (
    <section class="banner" aria-label="Emergency access in force">
      {live.map((g) => (
        <p key={g.grantId}>
          <strong>Emergency access</strong> to {g.patientName} until {clock.timeLabelled(g.expiresAt)} (
          {minutesLeft(g, at)} min left). Every open is recorded for compliance.{' '}
          <button type="button" class="secondary" onClick={() => onOpen(g)}>
            Open chart of {g.patientName}
          </button>
        </p>
      ))}
    </section>
  );
}

export function BreakGlassForm({ onGranted }: { onGranted: () => void }) {
  const { api, clock, announce } = useApp();
  const sapi = useMemo(() => screensApi(api), [api]);
  const [patient, setPatient] = useState('');
  const [reason, setReason] = useState('');
  const [minutes, setMinutes] = useState(60);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<{ ok: boolean; text: string }>();
  /** A grant under way: a second press would grant (and audit) the access twice. */
  const [busy, setBusy] = useState(false);
  const [, tick] = useState(0);
  useEffect(() => {
    const t = setInterval(() => tick((n) => n + 1), 30_000);
    return () => clearInterval(t);
  }, []);
  const submit = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    const fe: Record<string, string> = {};
    if (!/^[1-9][0-9]{0,9}$/.test(patient.trim())) fe.patient = 'Give the patient number.';
    if (reason.trim().length < 10) fe.reason = 'Give the reason in at least 10 characters.';
    setErrors(fe);
    if (Object.keys(fe).length) return;
    setBusy(true);
    try {
      const r = await sapi.breakGlass(Number(patient.trim()), reason.trim(), minutes);
      const text = `Emergency access granted until ${clock.timeLabelled(r.expiresAt)}.`;
      setMessage({ ok: true, text });
      announce(text);
      setReason('');
      onGranted();
    } catch (err) {
      if (err instanceof ApiError && err.status === 400) {
        const f: Record<string, string> = {};
        for (const i of err.details?.issues ?? []) f[i.path.replace(/^body\./, '')] = i.message;
        setErrors(f);
      }
      const text = `Not granted: ${describeError(err)}`;
      setMessage({ ok: false, text });
      announce(text, 'assertive');
    } finally {
      setBusy(false);
    }
  };
  return (
    <details class="card">
      <summary>
        <strong>Emergency access (break the glass)</strong>
      </summary>
      <p class="hint">For a patient outside your care, in an emergency only. The reason is kept for compliance and the access ends on its own.</p>
      {message && (
        <p class={message.ok ? 'ok' : 'banner'} role={message.ok ? 'status' : 'alert'}>
          {message.text}
        </p>
      )}
      <form onSubmit={submit} noValidate>
        <div class="row">
          <label>
            Patient number
            <input inputMode="numeric" value={patient} aria-invalid={errors.patient ? 'true' : undefined} aria-describedby="bg-patient-err" onInput={(e) => setPatient(e.currentTarget.value)} />
            <span id="bg-patient-err" class="field-error" role="alert">{errors.patient ?? ''}</span>
          </label>
          <label>
            For how long
            <select value={String(minutes)} onChange={(e) => setMinutes(Number(e.currentTarget.value))} aria-describedby="bg-until">
              {[15, 30, 60, 120, 240].map((m) => (
                <option key={m} value={String(m)}>
                  {m < 60 ? `${m} minutes` : `${m / 60} hour${m > 60 ? 's' : ''}`}
                </option>
              ))}
            </select>
            <span id="bg-until" class="hint">Ends at {clock.timeLabelled(clock.now() + minutes * 60_000)} if granted now.</span>
          </label>
        </div>
        <label>
          Reason for emergency access
          <textarea value={reason} maxLength={1000} aria-invalid={errors.reason ? 'true' : undefined} aria-describedby="bg-reason-err" onInput={(e) => setReason(e.currentTarget.value)} />
        </label>
        <span id="bg-reason-err" class="field-error" role="alert">{errors.reason ?? ''}</span>
        <div class="actions">
          <BusyButton type="submit" class="danger" busy={busy}>
            {busy ? 'Granting…' : 'Break the glass'}
          </BusyButton>
        </div>
      </form>
    </details>
  );
}
