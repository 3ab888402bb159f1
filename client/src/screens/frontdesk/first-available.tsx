/**
 * "First available" inside the booking form: the next free times (GET /api/slots) of the
 * chosen provider, or of any provider of its specialty, for the chosen duration, from the
 * form's date (today at the earliest) over two weeks. Times are clinic time; choosing one
 * fills the form (provider, date, start). Every slot listed is one the booking would accept.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { useApp } from '../../components/context.js';
import { Empty, ErrorView, Loading } from '../../components/states.js';
import { addDays } from '../../lib/clock.js';
import { schedulingApi } from '../../lib/scheduling-api.js';
import type { DayProvider, FreeSlot } from '../../../../shared/api-types.js';

/** Days searched from the start date. */
const SEARCH_DAYS = 14;
/** Free times listed at once. */
const SHOWN = 5;

const SHORT_DAY = new Intl.DateTimeFormat('en-US', { timeZone: 'UTC', weekday: 'short', month: 'short', day: 'numeric' });
/** 'Tue, Apr 6' for a clinic date. */
export const shortDate = (date: string) => SHORT_DAY.format(new Date(`${date}T12:00:00Z`));

type Search = { by: 'provider' | 'specialty'; from: string; to: string; label: string };
type State =
  | { status: 'idle' }
  | { status: 'loading'; search: Search }
  | { status: 'ready'; search: Search; items: FreeSlot[] }
  | { status: 'error'; search: Search; error: unknown };

export function FirstAvailable(props: { providerId: number; date: string; durationMin: number; providers: DayProvider[]; onPick(slot: FreeSlot): void }) {
  const { api, clock, announce } = useApp();
  const sched = useMemo(() => schedulingApi(api), [api]);
  const [state, setState] = useState<State>({ status: 'idle' });
  const provider = props.providers.find((p) => p.providerId === props.providerId);
  const names = useMemo(() => new Map(props.providers.map((p) => [p.providerId, p.name])), [props.providers]);

  // What was found is for the provider, date and duration it was asked for: a change drops
  // it, and the answer to a question still in flight (it would list slots of the old length).
  const inFlight = useRef<AbortController>(undefined);
  useEffect(() => {
    setState({ status: 'idle' });
    return () => inFlight.current?.abort(); // on the next change, and when the form closes
  }, [props.providerId, props.date, props.durationMin]);

  const find = (by: Search['by']) => {
    if (!provider) return;
    const today = clock.today();
    const from = props.date > today ? props.date : today;
    const search: Search = { by, from, to: addDays(from, SEARCH_DAYS - 1), label: by === 'provider' ? `with ${provider.name}` : `in ${provider.specialty}` };
    setState({ status: 'loading', search });
    inFlight.current?.abort();
    const ctl = (inFlight.current = new AbortController());
    sched
      .slots(
        {
          from: search.from,
          to: search.to,
          durationMin: props.durationMin,
          ...(by === 'provider' ? { providerId: provider.providerId } : { specialty: provider.specialty }),
          limit: SHOWN,
        },
        { signal: ctl.signal },
      )
      .then(
        (items) => {
          if (ctl.signal.aborted) return;
          setState({ status: 'ready', search, items });
          announce(items.length ? `${items.length} free time${items.length === 1 ? '' : 's'} ${search.label}; the first is ${slotText(items[0]!)}.` : `No free time ${search.label}.`);
        },
        (error: unknown) => !ctl.signal.aborted && setState({ status: 'error', search, error }),
      );
  };

  // Each time carries its own zone when the browser's differs: two weeks can cross a daylight-saving switch.
  const slotText = (s: FreeSlot) => `${shortDate(clock.wall(s.start).date)} ${clock.time(s.start)}–${clock.time(s.end)}${clock.zoneNoteAt(s.start)}, ${names.get(s.providerId) ?? 'provider'}`;

  return (
    <fieldset class="first-available">
      <legend>First available ({props.durationMin} min)</legend>
      <div class="actions tight">
        <button type="button" class="secondary" disabled={!provider} onClick={() => find('provider')}>
          First available with {provider?.name ?? 'this provider'}
        </button>
        {provider && (
          <button type="button" class="secondary" onClick={() => find('specialty')}>
            First available in {provider.specialty}
          </button>
        )}
      </div>
      {state.status === 'loading' && <Loading label={`Looking for free times ${state.search.label}…`} />}
      {state.status === 'error' && <ErrorView error={state.error} what="Free times could not be loaded." retry={() => find(state.search.by)} />}
      {state.status === 'ready' && state.items.length === 0 && (
        <Empty>
          No free {props.durationMin}-minute time {state.search.label} from {shortDate(state.search.from)} to {shortDate(state.search.to)}. Try another duration, or
          add the patient to the waitlist.
        </Empty>
      )}
      {state.status === 'ready' && state.items.length > 0 && (
        <ul class="slots" aria-label={`Free times ${state.search.label}`}>
          {state.items.map((s) => (
            <li key={`${s.providerId}:${s.start}`}>
              <button type="button" class="link-dark" onClick={() => props.onPick(s)}>
                {slotText(s)}
              </button>
            </li>
          ))}
        </ul>
      )}
      {state.status === 'ready' && state.items.length > 0 && <p class="hint">Times are clinic time. Choosing one fills the form.</p>}
    </fieldset>
  );
}
