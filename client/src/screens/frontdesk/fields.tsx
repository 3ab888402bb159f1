/** Fields shared by the front desk's forms: a clinic-local date and time, appointment lengths and providers. */
import type { DayProvider } from '../../../../shared/api-types.js';
import { useApp } from '../../components/context.js';

/** What points a field at a message about it (its error, a conflict). */
type Described = { 'aria-invalid'?: boolean; 'aria-describedby'?: string };

/** A clinic-local date and start time side by side, both required; times step on the clinic's slot grid. */
export function DateTimeFields(props: {
  dateLabel: string;
  timeLabel: string;
  date: string;
  time: string;
  onDate: (date: string) => void;
  onTime: (time: string) => void;
  dateDescribed?: Described;
  timeDescribed?: Described;
}) {
  const { clock } = useApp();
  return (
    <div class="row2">
      <label>
        {props.dateLabel}
        <input type="date" required value={props.date} onInput={(e) => props.onDate(e.currentTarget.value)} {...props.dateDescribed} />
      </label>
      <label>
        {props.timeLabel}
        <input type="time" required step={clock.slotMinutes * 60} value={props.time} onInput={(e) => props.onTime(e.currentTarget.value)} {...props.timeDescribed} />
      </label>
    </div>
  );
}

/** The lengths a desk books, in minutes. */
const DURATIONS = [15, 30, 45, 60, 90, 120];

/** One option per length, plus `keep` (an appointment's own length when it is none of them). */
function DurationOptions({ keep }: { keep?: number }) {
  const minutes = keep === undefined ? DURATIONS : [...new Set([...DURATIONS, keep])].sort((a, b) => a - b);
  return (
    <>
      {minutes.map((d) => (
        <option key={d} value={String(d)}>
          {d} min
        </option>
      ))}
    </>
  );
}

/** A labelled choice of length; `keep` adds the appointment's own length when it is none of the usual. */
export function DurationField({ label = 'Duration', value, keep, onChange }: { label?: string; value: number; keep?: number; onChange: (minutes: number) => void }) {
  return (
    <label>
      {label}
      <select value={String(value)} onChange={(e) => onChange(Number(e.currentTarget.value))}>
        <DurationOptions keep={keep} />
      </select>
    </label>
  );
}

/** One option per provider, named with their specialty ("Dr Ada Lee — Cardiology"). */
export function ProviderOptions({ providers }: { providers: readonly DayProvider[] }) {
  return (
    <>
      {providers.map((p) => (
        <option key={p.providerId} value={String(p.providerId)}>
          {p.name} — {p.specialty}
        </option>
      ))}
    </>
  );
}
