/**
 * Find a patient by name and/or date of birth as one types (a combobox with a listbox of
 * matches, each with its DOB), or register one inline with the API's field-level messages.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { useApp } from '../../components/context.js';
import { useFocusAfterRender } from '../../components/focus.js';
import { ApiError, describeError } from '../../lib/api.js';
import type { PatientSummary } from '../../../../shared/api-types.js';
import { FormError } from '../../components/states.js';
import { BusyButton } from '../../components/busy-button.js';

export interface ChosenPatient {
  patientId: number;
  name: string;
  dob: string;
}

/** "garcia 1970-01-02", "1/2/1970 maria" → name part and ISO date part. */
export function parseQuery(text: string): { q?: string; dob?: string } {
  let dob: string | undefined;
  let rest = text.replace(/\b(\d{4})-(\d{2})-(\d{2})\b/, (_m, y: string, mo: string, d: string) => ((dob = `${y}-${mo}-${d}`), ''));
  rest = rest.replace(/\b(\d{1,2})\/(\d{1,2})\/(\d{4})\b/, (_m, mo: string, d: string, y: string) => ((dob = `${y}-${mo.padStart(2, '0')}-${d.padStart(2, '0')}`), ''));
  const q = rest.trim().replace(/\s+/g, ' ');
  return { ...(q ? { q } : {}), ...(dob ? { dob } : {}) };
}

/** `idPrefix` keeps element ids unique when two finders are on the page (the booking form and the waitlist). */
export function PatientFinder({ value, onChange, idPrefix = 'patient' }: { value?: ChosenPatient; onChange(p: ChosenPatient | undefined): void; idPrefix?: string }) {
  const { api, announce } = useApp();
  const [text, setText] = useState('');
  const [results, setResults] = useState<PatientSummary[]>([]);
  /** The text `results` answer: while another text is being searched, they are not the answer to what is typed. */
  const [resultsFor, setResultsFor] = useState<string>();
  const [state, setState] = useState<'idle' | 'loading' | 'done' | 'error'>('idle');
  const [error, setError] = useState<unknown>();
  const [active, setActive] = useState(0);
  const [open, setOpen] = useState(false);
  const [registering, setRegistering] = useState(false);
  const [nonce, setNonce] = useState(0);
  const input = useRef<HTMLInputElement>(null);
  // A patient chosen or registered replaces the finder ("Change patient" brings it back): the focus follows.
  const change = useRef<HTMLButtonElement>(null);
  const focusAfterRender = useFocusAfterRender();

  useEffect(() => {
    const query = parseQuery(text);
    if (!query.q && !query.dob) {
      setResults([]);
      setResultsFor(undefined);
      setState('idle');
      return;
    }
    const ctl = new AbortController();
    setState('loading');
    const t = setTimeout(() => {
      api.searchPatients({ ...query, limit: 8 }, { signal: ctl.signal, retry: false }).then(
        (items) => {
          if (ctl.signal.aborted) return;
          setResults(items);
          setResultsFor(text);
          setActive(0);
          setState('done');
          setOpen(true);
          announce(items.length ? `${items.length} patient${items.length === 1 ? '' : 's'} found.` : 'No patient found.');
        },
        (err) => {
          if (ctl.signal.aborted) return;
          // An earlier text's list does not stay under the error: Enter would choose from it.
          setResults([]);
          setResultsFor(undefined);
          setOpen(false);
          setError(err);
          setState('error');
        },
      );
    }, 200);
    return () => {
      clearTimeout(t);
      ctl.abort();
    };
  }, [text, api, announce, nonce]);

  const choose = (p: PatientSummary) => {
    onChange({ patientId: p.patientId, name: p.name, dob: p.dob ?? String(p.birthYear) });
    setOpen(false);
    setText('');
    focusAfterRender(change);
  };

  if (value) {
    return (
      <div class="chosen">
        <span>
          Patient: <strong>{value.name}</strong>, born {value.dob}
        </span>
        <button ref={change} type="button" class="secondary" onClick={() => (onChange(undefined), focusAfterRender(input))}>
          Change patient
        </button>
      </div>
    );
  }
  if (registering) {
    return <RegisterPatient initialName={parseQuery(text).q ?? ''} initialDob={parseQuery(text).dob ?? ''} onDone={(p) => (setRegistering(false), p ? (onChange(p), focusAfterRender(change)) : focusAfterRender(input))} />;
  }
  const listId = `${idPrefix}-results`;
  // Arrow keys and Enter act on the answer to the text as typed, never on an earlier text's list
  // still on screen while the new search runs ("Maria", then " Garcia" and Enter at once chose
  // the first Maria of the old list).
  const fresh = state === 'done' && resultsFor === text;
  const options = fresh ? results : [];
  return (
    <div class="finder">
      <label>
        Find patient (name or date of birth)
        <input
          ref={input}
          role="combobox"
          aria-expanded={open && options.length > 0}
          aria-controls={listId}
          aria-autocomplete="list"
          aria-activedescendant={open && options[active] ? `${idPrefix}-${options[active].patientId}` : undefined}
          autocomplete="off"
          value={text}
          onInput={(e) => setText(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === 'ArrowDown') {
              e.preventDefault();
              if (options.length === 0) return;
              setOpen(true);
              setActive((a) => Math.min(options.length - 1, a + 1));
            } else if (e.key === 'ArrowUp') {
              e.preventDefault();
              setActive((a) => Math.max(0, a - 1));
            } else if (e.key === 'Enter' && (state === 'loading' || (open && options[active]))) {
              // While searching, Enter waits for the answer (it neither chooses nor submits the form).
              e.preventDefault();
              if (options[active]) choose(options[active]);
            } else if (e.key === 'Escape' && open) {
              e.preventDefault();
              e.stopPropagation();
              setOpen(false);
            }
          }}
        />
      </label>
      {/* On the page before its first words, so "Searching…" is read out too. */}
      <p class="hint" role="status">
        {state === 'loading' ? 'Searching…' : ''}
      </p>
      {state === 'error' && (
        <p class="field-error" role="alert">
          {describeError(error)}{' '}
          <button type="button" class="secondary" onClick={() => setNonce((x) => x + 1)}>
            Retry
          </button>
        </p>
      )}
      <ul id={listId} role="listbox" aria-label="Matching patients" class="results" aria-busy={!fresh} hidden={!open || results.length === 0}>
        {results.map((p, i) => (
          <li key={p.patientId} id={`${idPrefix}-${p.patientId}`} role="option" aria-selected={i === active} class={i === active ? 'active' : ''} onMouseDown={(e) => (e.preventDefault(), choose(p))}>
            {p.name} — born {p.dob ?? p.birthYear}
          </li>
        ))}
      </ul>
      {state === 'done' && results.length === 0 && <p class="hint">No patient matches “{text}”.</p>}
      <button type="button" class="secondary" onClick={() => setRegistering(true)}>
        Register new patient
      </button>
    </div>
  );
}

function RegisterPatient({ initialName, initialDob, onDone }: { initialName: string; initialDob: string; onDone(p?: ChosenPatient): void }) {
  const { api, announce } = useApp();
  const [values, setValues] = useState({ name: initialName, dob: initialDob, email: '', phone: '' });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const box = useRef<HTMLFieldSetElement>(null);
  useEffect(() => box.current?.querySelector<HTMLInputElement>('input')?.focus(), []);
  const submit = async () => {
    const body = { name: values.name.trim(), dob: values.dob, email: values.email.trim() || null, phone: values.phone.trim() || null };
    setBusy(true);
    setErrors({});
    setFormError(undefined);
    try {
      const { id } = await api.registerPatient(body);
      announce(`${body.name} registered.`);
      onDone({ patientId: id, name: body.name, dob: body.dob });
    } catch (err) {
      setBusy(false);
      const fe = err instanceof ApiError ? (err.code === 'duplicate_email' ? { email: err.message } : err.fieldErrors()) : {};
      setErrors(fe);
      const firstBad = Object.keys(fe)[0];
      if (firstBad) setTimeout(() => box.current?.querySelector<HTMLInputElement>(`[name="${firstBad}"]`)?.focus());
      else setFormError(describeError(err));
    }
  };
  const field = (name: keyof typeof values, label: string, type: 'text' | 'date' | 'email' | 'tel' = 'text') => (
    <label>
      {label}
      <input
        name={name}
        // preact types <input> as a union keyed by `type`, and tsc needs one member of it; the lint
        // rule judges the assertion unnecessary, but without it `npm run typecheck` fails.
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
        type={type as 'text'}
        autocomplete="off"
        value={values[name]}
        onInput={(e) => setValues((v) => ({ ...v, [name]: e.currentTarget.value }))}
        aria-invalid={errors[name] ? true : undefined}
        aria-describedby={errors[name] ? `reg-${name}-error` : undefined}
      />
      {errors[name] && (
        <span id={`reg-${name}-error`} class="field-error">
          {errors[name]}
        </span>
      )}
    </label>
  );
  // Inside the booking form, so a fieldset (forms do not nest): Enter in a field registers.
  return (
    <fieldset
      ref={box}
      class="register"
      onKeyDown={(e) => {
        if (e.key === 'Enter' && (e.target as HTMLElement).tagName === 'INPUT') {
          e.preventDefault();
          void submit();
        }
      }}
    >
      <legend>Register patient</legend>
      {field('name', 'Full name')}
      {field('dob', 'Date of birth', 'date')}
      {field('email', 'Email (optional)', 'email')}
      {field('phone', 'Phone (optional)', 'tel')}
      <FormError message={formError} />
      <div class="actions">
        <BusyButton type="button" busy={busy} onClick={() => void submit()}>
          Register patient
        </BusyButton>
        <button type="button" class="secondary" onClick={() => onDone()}>
          Back to search
        </button>
      </div>
    </fieldset>
  );
}
