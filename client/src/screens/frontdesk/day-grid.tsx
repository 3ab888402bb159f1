/**
 * The day grid: providers as columns, clinic-time rows at the clinic's slot size (15 min),
 * exposed as an ARIA grid (column headers name providers, row headers are times) and
 * navigable as the WAI-ARIA grid pattern describes: one tab stop, arrow keys between cells,
 * Home/End, Page Up/Down by the hour, Enter to book a free cell or open an appointment.
 *
 * Only the provider columns on screen (plus one either side) are drawn: the time column
 * stays put while columns scroll sideways, so 300 providers cost what 8 do.
 */
import { Component, type ComponentChildren } from 'preact';
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { ClinicClock } from '../../lib/clock.js';
import { hhmm, toMinutes } from '../../lib/clock.js';
import type { DayRow } from '../../lib/live.js';
import type { DayProvider } from '../../../../shared/api-types.js';
import { STATUS } from './status.js';

/** The narrowest provider column; columns widen to fill the screen when there are few. */
export const MIN_COL_W = 176;
export const TIME_W = 64;
export const ROW_H = 24;
export const HEAD_H = 60;

/**
 * Where a grid opens: now, if it shows the clinic's today; otherwise the earliest working
 * hour of its columns (08:00 at the latest, so a day without hours opens on the morning).
 */
export function openingMinutes(columns: DayProvider[], showsToday: boolean, clock: ClinicClock): number {
  if (showsToday) return clock.wall(clock.now()).minutes;
  const starts = columns.flatMap((c) => (c.workingHours[0] ? [Number(c.workingHours[0].start.slice(0, 2)) * 60] : []));
  return Math.min(8 * 60, ...starts);
}

export interface SlotMark {
  providerId: number;
  minutes: number;
  text: string;
}

export interface DayGridProps {
  date: string;
  /** The grid's accessible name (default: the day, clinic time). */
  label?: string;
  providers: DayProvider[];
  rows: DayRow[];
  clock: ClinicClock;
  flash: ReadonlySet<number>;
  selectedId?: number;
  /** A conflict (or other note) to show at a slot. */
  mark?: SlotMark;
  /** Scroll to this clinic minute when it changes (jump to now, first load). */
  scrollTo?: { minutes: number; nonce: number };
  /**
   * Where the now-line goes: every column when `date` is the clinic's today (the default),
   * or only column `index` (the week view, whose columns are days), or nowhere.
   */
  now?: { index: number } | 'none';
  onFreeCell(providerId: number, minutes: number): void;
  onOpen(row: DayRow): void;
  /** Move (and/or resize) a block: by keyboard (M, arrows, Shift+arrows, Enter) or by dragging it to a cell. */
  onMove?(row: DayRow, to: { providerId: number; minutes: number; durationMin: number }): void;
  /** A move under way was dropped because the appointment changed meanwhile (another desk moved or cancelled it); `row` is as the move began. */
  onMoveInterrupted?(row: DayRow): void;
  announce?(message: string, politeness?: 'polite' | 'assertive', kind?: string): void;
  /**
   * A new `n` puts the focus back in the grid: on the active cell (a panel or form beside the grid
   * closed), or on the cell of `at` (an Undo: the block comes back there).
   */
  refocus?: { n: number; at?: GridPlace };
}

/** A provider's column at an instant. */
export interface GridPlace {
  providerId: number;
  scheduledAt: string;
}

interface Moving {
  row: DayRow;
  c: number;
  minutes: number;
  durationMin: number;
}

interface Resizer {
  /** A resize begins: the block's current place, or undefined when its column is not shown. */
  start(row: DayRow): Moving | undefined;
  to(m: Moving, durationMin: number): void;
  /** Let go: true when a new length was sent to be saved. */
  end(m: Moving): boolean;
  cancel(): void;
}

interface Placed {
  row: DayRow;
  minutes: number;
  slot: number;
}

export function DayGrid(p: DayGridProps) {
  const slotMin = p.clock.slotMinutes;
  const slots = Math.floor((24 * 60) / slotMin);
  const scroller = useRef<HTMLDivElement>(null);
  const [view, setView] = useState({ left: 0, width: 1200 });
  const [active, setActiveState] = useState({ r: Math.floor((8 * 60) / slotMin), c: 0 });
  // Keys can arrive faster than renders: the latest active cell, not the rendered one.
  const activeRef = useRef(active);
  const setActive = (next: { r: number; c: number } | ((a: { r: number; c: number }) => { r: number; c: number })) => {
    activeRef.current = typeof next === 'function' ? next(activeRef.current) : next;
    setActiveState(activeRef.current);
  };
  const focusPending = useRef(false);
  const refocusSeen = useRef(p.refocus?.n);
  const refocusAt = useRef<GridPlace>(undefined);
  if (refocusSeen.current !== p.refocus?.n) {
    refocusSeen.current = p.refocus?.n;
    refocusAt.current = p.refocus?.at;
    focusPending.current = true;
  }
  const programmatic = useRef(false);
  const [moving, setMoving] = useState<Moving>();
  // Rows re-render only when what they show changes (see RowMemo), so their handlers read these.
  const latest = useRef(p);
  latest.current = p;
  const movingRef = useRef(moving);
  movingRef.current = moving;
  const providersVersion = useRef({ providers: p.providers, n: 0 });
  if (providersVersion.current.providers !== p.providers) providersVersion.current = { providers: p.providers, n: providersVersion.current.n + 1 };
  const dragged = useRef<DayRow>(undefined);
  // Mouse resize: dragging a block's bottom edge changes its length, snapped to slots; the
  // preview is the same ghost as a keyboard move, Escape cancels, and letting go saves
  // through onMove (same conflict handling and Undo as Shift+Arrow then Enter).
  const resize = useRef<Resizer>(undefined as unknown as Resizer);
  resize.current = {
    start(row) {
      const c = latest.current.providers.findIndex((x) => x.providerId === row.providerId);
      if (c < 0) return undefined;
      const m = { row, c, minutes: latest.current.clock.wall(row.scheduledAt).minutes, durationMin: row.durationMin };
      setMoving(m);
      return m;
    },
    to(m, durationMin) {
      if (movingRef.current?.row.appointmentId !== m.row.appointmentId || movingRef.current.durationMin === durationMin) return;
      const next = { ...m, durationMin };
      movingRef.current = next;
      setMoving(next);
      say(next);
    },
    end(m) {
      const now = movingRef.current;
      // Escape during the drag cancelled it.
      if (now?.row.appointmentId !== m.row.appointmentId) return false;
      setMoving(undefined);
      if (now.durationMin === m.row.durationMin) return false;
      latest.current.onMove?.(m.row, { providerId: m.row.providerId, minutes: now.minutes, durationMin: now.durationMin });
      return true;
    },
    cancel() {
      setMoving(undefined);
    },
  };

  useLayoutEffect(() => {
    const el = scroller.current!;
    const measure = () => setView({ left: el.scrollLeft, width: el.clientWidth });
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  // In the same commit as the request, before any key press is handled (see FrontDeskScreen).
  useLayoutEffect(() => {
    if (!p.scrollTo) return;
    const el = scroller.current!;
    el.scrollTop = Math.max(0, (p.scrollTo.minutes / slotMin) * ROW_H - ROW_H * 2);
    setActive((a) => ({ ...a, r: Math.min(slots - 1, Math.floor(p.scrollTo!.minutes / slotMin)) }));
  }, [p.scrollTo?.nonce]);

  // Appointments by provider and starting slot, and the slots each provider has taken.
  const { starts, busy } = useMemo(() => {
    const starts = new Map<string, Placed[]>();
    const busy = new Set<string>();
    for (const row of p.rows) {
      const minutes = p.clock.wall(row.scheduledAt).minutes;
      const slot = Math.floor(minutes / slotMin);
      const key = `${row.providerId}:${slot}`;
      (starts.get(key) ?? starts.set(key, []).get(key)!).push({ row, minutes, slot });
      if (row.status !== 'cancelled') {
        for (let s = slot; s < Math.min(slots, Math.ceil((minutes + row.durationMin) / slotMin)); s++) busy.add(`${row.providerId}:${s}`);
      }
    }
    return { starts, busy };
  }, [p.rows, p.clock, slotMin, slots]);

  // For `npm run bench`: when a new day or a live change has been painted.
  useLayoutEffect(() => {
    const id = requestAnimationFrame(() => performance.mark('clinicpulse:grid-painted'));
    return () => cancelAnimationFrame(id);
  }, [p.rows, p.providers]);

  const n = p.providers.length;
  const COL_W = Math.max(MIN_COL_W, Math.floor((view.width - TIME_W - 2) / Math.max(1, n)));
  const first = Math.max(0, Math.floor(view.left / COL_W) - 1);
  const last = Math.min(n - 1, Math.ceil((view.left + view.width - TIME_W) / COL_W) + 1);
  const cols: number[] = [];
  for (let c = first; c <= last; c++) cols.push(c);

  // Each provider's working intervals and time off that day, in clinic minutes.
  const hours = useMemo(
    () =>
      p.providers.map((pr) => ({
        work: pr.workingHours.map((h) => [toMinutes(h.start), toMinutes(h.end)] as const),
        away: pr.timeOff.map((t) => [toMinutes(t.start), toMinutes(t.end)] as const),
      })),
    [p.providers],
  );

  // Keyboard: keep the active cell on screen and focused.
  const ensureVisible = (c: number) => {
    const el = scroller.current!;
    const x = c * COL_W;
    if (x < el.scrollLeft) el.scrollLeft = x;
    else if (x + COL_W > el.scrollLeft + el.clientWidth - TIME_W) el.scrollLeft = x + COL_W - (el.clientWidth - TIME_W);
    setView({ left: el.scrollLeft, width: el.clientWidth });
  };
  // Layout effect: focus follows the keys in the same frame, before the next key arrives.
  useLayoutEffect(() => {
    if (!focusPending.current) return;
    focusPending.current = false;
    let { r, c } = active;
    let block = true;
    const at = refocusAt.current;
    refocusAt.current = undefined;
    const col = at ? p.providers.findIndex((pr) => pr.providerId === at.providerId) : -1;
    if (at && col >= 0 && p.clock.wall(at.scheduledAt).date === p.date) {
      // Where an undone move puts the block back: the cell, which the block comes back into (the block
      // itself is still elsewhere, and would take the focus away with it).
      r = Math.floor(p.clock.wall(at.scheduledAt).minutes / slotMin);
      c = col;
      block = false;
      activeRef.current = { r, c };
      setActiveState({ r, c });
      ensureVisible(c);
    }
    const cell = scroller.current?.querySelector<HTMLElement>(`[data-cell="${r}:${c}"]`);
    // A cell holding only cancelled appointments is a free slot: the cell itself takes focus.
    const target = (block ? cell?.querySelector<HTMLElement>('.block:not(.cancelled)') : null) ?? cell;
    // Our own focus call must not move the active cell back (keys may already be ahead of it).
    programmatic.current = true;
    target?.focus();
    programmatic.current = false;
    target?.scrollIntoView({ block: 'nearest' });
  });

  const move = (r: number, c: number) => {
    const next = { r: Math.max(0, Math.min(slots - 1, r)), c: Math.max(0, Math.min(n - 1, c)) };
    focusPending.current = true;
    ensureVisible(next.c);
    setActive(next);
  };

  const say = (m: Moving) => {
    const pr = p.providers[m.c];
    // Each key press supersedes the last preview: only where the block is now is said.
    p.announce?.(`${m.row.patientName}: ${hhmm(m.minutes)}–${hhmm(m.minutes + m.durationMin)}${p.clock.zoneNoteOn(p.date)}, ${pr?.name ?? ''}.`, 'polite', 'move-preview');
  };
  const moveKeys = (e: KeyboardEvent, m: Moving) => {
    const step = slotMin;
    let next: Moving | undefined;
    if (e.key === 'Escape') {
      setMoving(undefined);
      p.announce?.('Move cancelled.');
    } else if (e.key === 'Enter') {
      setMoving(undefined);
      // The block is drawn anew at its new place: the focus goes there too, not to the top of the page.
      focusPending.current = true;
      setActive({ r: Math.floor(m.minutes / step), c: m.c });
      const pr = p.providers[m.c];
      if (pr) p.onMove?.(m.row, { providerId: pr.providerId, minutes: m.minutes, durationMin: m.durationMin });
    } else if (e.key === 'ArrowUp' && e.shiftKey) next = { ...m, durationMin: Math.max(step, m.durationMin - step) };
    else if (e.key === 'ArrowDown' && e.shiftKey) next = { ...m, durationMin: Math.min(480, m.durationMin + step) };
    else if (e.key === 'ArrowUp') next = { ...m, minutes: Math.max(0, m.minutes - step) };
    else if (e.key === 'ArrowDown') next = { ...m, minutes: Math.min(24 * 60 - step, m.minutes + step) };
    else if (e.key === 'ArrowLeft') next = { ...m, c: Math.max(0, m.c - 1) };
    else if (e.key === 'ArrowRight') next = { ...m, c: Math.min(n - 1, m.c + 1) };
    else if (e.key !== 'Tab') return;
    e.preventDefault();
    if (next) {
      setMoving(next);
      ensureVisible(next.c);
      say(next);
    }
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (moving) return moveKeys(e, moving);
    const target = e.target as HTMLElement;
    if ((e.key === 'm' || e.key === 'M') && target.classList.contains('block') && p.onMove) {
      const row = p.rows.find((x) => String(x.appointmentId) === target.dataset.id);
      if (row && row.status === 'scheduled') {
        e.preventDefault();
        // The block's own column: focus may have reached it by Tab or click, not by the arrow keys.
        const own = p.providers.findIndex((pr) => pr.providerId === row.providerId);
        const m = { row, c: own >= 0 ? own : activeRef.current.c, minutes: p.clock.wall(row.scheduledAt).minutes, durationMin: row.durationMin };
        setMoving(m);
        p.announce?.(`Moving ${row.patientName}. Arrow keys move it, Shift with up or down changes its length, Enter saves, Escape cancels.`);
      }
      return;
    }
    const { r, c } = activeRef.current;
    const step = Math.round(60 / slotMin);
    const keys: Record<string, () => void> = {
      ArrowDown: () => move(r + 1, c),
      ArrowUp: () => move(r - 1, c),
      ArrowRight: () => move(r, c + 1),
      ArrowLeft: () => move(r, c - 1),
      PageDown: () => move(r + step, c),
      PageUp: () => move(r - step, c),
      Home: () => move(e.ctrlKey ? 0 : r, 0),
      End: () => move(e.ctrlKey ? slots - 1 : r, n - 1),
    };
    const k = keys[e.key];
    if (k) {
      e.preventDefault();
      k();
    }
  };

  // A live change to the appointment being moved (another desk moved, resized or cancelled it):
  // the move began from what is no longer so. Drop it, tell the screen, and put the focus where
  // the block is now (or on the cell it left): the block the focus was on may be gone.
  useEffect(() => {
    if (!moving) return;
    const now = p.rows.find((x) => x.appointmentId === moving.row.appointmentId);
    if (now?.updatedAt === moving.row.updatedAt) return;
    setMoving(undefined);
    movingRef.current = undefined;
    const c = now ? p.providers.findIndex((pr) => pr.providerId === now.providerId) : -1;
    if (now && c >= 0 && p.clock.wall(now.scheduledAt).date === p.date) setActive({ r: Math.floor(p.clock.wall(now.scheduledAt).minutes / slotMin), c });
    focusPending.current = true;
    p.onMoveInterrupted?.(moving.row);
  }, [p.rows, moving]);

  const nowCol = p.now === 'none' ? undefined : p.now ? p.now.index : p.date === p.clock.today() ? 'all' : undefined;
  const [nowMin, setNowMin] = useState(() => p.clock.wall(p.clock.now()).minutes);
  useEffect(() => {
    const t = setInterval(() => setNowMin(p.clock.wall(p.clock.now()).minutes), 30_000);
    return () => clearInterval(t);
  }, [p.clock]);

  const totalW = TIME_W + n * COL_W;
  const colLeft = (c: number) => TIME_W + c * COL_W;
  // The grid's tab stop is the active cell; if the mouse scrolled its column out of the drawn
  // ones, it is the same row's first fully visible column, so Tab still lands in the grid.
  const tabC = cols.includes(active.c) ? active.c : Math.min(n - 1, Math.ceil(view.left / COL_W));

  return (
    <div class="grid-scroll" ref={scroller} onScroll={(e) => setView({ left: e.currentTarget.scrollLeft, width: e.currentTarget.clientWidth })}>
      <div
        role="grid"
        aria-label={p.label ?? `Appointments, ${p.clock.longDate(p.date)}, clinic time`}
        aria-rowcount={slots + 1}
        aria-colcount={n + 1}
        class="day-grid"
        style={{ width: `${totalW}px`, height: `${HEAD_H + slots * ROW_H}px` }}
        onKeyDown={onKeyDown}
      >
        <div role="row" aria-rowindex={1} class="grid-head" style={{ width: `${totalW}px`, height: `${HEAD_H}px` }}>
          <div role="columnheader" aria-colindex={1} class="corner">
            Time
          </div>
          {cols.map((c) => {
            const pr = p.providers[c]!;
            return (
              <div key={pr.providerId} role="columnheader" aria-colindex={c + 2} class="provider-head" style={{ left: `${colLeft(c)}px`, width: `${COL_W}px` }}>
                <span class="pname">{pr.name}</span>
                <span class="pspec">{pr.specialty}</span>
                <span class="pspec" title={hoursText(pr)}>
                  {hoursText(pr)}
                </span>
              </div>
            );
          })}
        </div>
        {Array.from({ length: slots }, (_, r) => (
          <RowMemo key={r} sig={rowSig(r)} render={() => renderRow(r)} />
        ))}
        {nowCol !== undefined && (
          <div
            class="now-line"
            data-testid="now-line"
            aria-hidden="true"
            style={{
              top: `${HEAD_H + (nowMin / slotMin) * ROW_H}px`,
              left: nowCol === 'all' ? 0 : `${colLeft(nowCol)}px`,
              width: nowCol === 'all' ? `${totalW}px` : `${COL_W}px`,
            }}
          />
        )}
      </div>
    </div>
  );

  /** Everything a row's rendering depends on, as a string: unchanged rows are not re-rendered. */
  function rowSig(r: number): string {
    let sig = `${first}|${last}|${COL_W}|${providersVersion.current.n}|${active.r === r ? tabC : -1}|`;
    if (moving && Math.floor(moving.minutes / slotMin) === r) sig += `m${moving.c}:${moving.minutes}:${moving.durationMin}|`;
    if (p.mark && Math.floor(p.mark.minutes / slotMin) === r) sig += `k${p.mark.providerId}:${p.mark.text}|`;
    for (const c of cols) {
      const key = `${p.providers[c]!.providerId}:${r}`;
      if (busy.has(key)) sig += `b${c}`;
      for (const pl of starts.get(key) ?? []) {
        const a = pl.row;
        sig += `a${a.appointmentId}:${a.updatedAt}:${a.status}:${a.overbookReason ?? ''}:${a.patientName}:${a.patientDob}:${pl.minutes}:${a.durationMin}:${p.flash.has(a.appointmentId) ? 1 : 0}:${p.selectedId === a.appointmentId ? 1 : 0}`;
      }
    }
    return sig;
  }

  function renderRow(r: number) {
          const minutes = r * slotMin;
          const label = hhmm(minutes);
          return (
            <div key={r} role="row" aria-rowindex={r + 2} class={minutes % 60 === 0 ? 'grid-row hour' : 'grid-row'} style={{ top: `${HEAD_H + r * ROW_H}px`, width: `${totalW}px` }}>
              <div role="rowheader" aria-colindex={1} class="time">
                {minutes % 30 === 0 ? label : <span class="visually-hidden">{label}</span>}
              </div>
              {cols.map((c) => {
                const pr = p.providers[c]!;
                const h = hours[c]!;
                const working = h.work.some(([s, e]) => minutes >= s && minutes < e);
                const away = h.away.find(([s, e]) => minutes < e && minutes + slotMin > s);
                const key = `${pr.providerId}:${r}`;
                const here = starts.get(key) ?? [];
                // Cancelled ones (shown behind the toggle) keep to a band at the right, so the
                // slot they freed can still be clicked, focused and booked.
                const current = here.filter((pl) => pl.row.status !== 'cancelled');
                const gone = here.filter((pl) => pl.row.status === 'cancelled');
                const taken = busy.has(key);
                const isTabStop = active.r === r && tabC === c;
                const marked = p.mark && p.mark.providerId === pr.providerId && Math.floor(p.mark.minutes / slotMin) === r ? p.mark : undefined;
                const cellLabel = `${pr.name}, ${label}, ${taken ? 'booked' : 'free'}${working ? '' : ', outside working hours'}${away ? ', time off' : ''}`;
                return (
                  <div
                    key={pr.providerId}
                    role="gridcell"
                    aria-colindex={c + 2}
                    aria-label={current.length ? undefined : cellLabel}
                    data-cell={`${r}:${c}`}
                    class={`cell${working ? '' : ' off'}${away ? ' away' : ''}${taken ? ' taken' : ''}${marked ? ' marked' : ''}`}
                    style={{ left: `${colLeft(c)}px`, width: `${COL_W}px` }}
                    tabIndex={isTabStop && current.length === 0 ? 0 : -1}
                    // focusin: focus reaching a block inside (Tab, click) makes its cell the active one too.
                    onFocusIn={() => !programmatic.current && (activeRef.current.r !== r || activeRef.current.c !== c) && setActive({ r, c })}
                    onClick={(e) => {
                      if (e.target !== e.currentTarget) return;
                      setActive({ r, c });
                      if (!taken) latest.current.onFreeCell(pr.providerId, minutes);
                    }}
                    onDragOver={(e) => dragged.current && e.preventDefault()}
                    onDrop={(e) => {
                      e.preventDefault();
                      const row = dragged.current;
                      dragged.current = undefined;
                      if (row) latest.current.onMove?.(row, { providerId: pr.providerId, minutes, durationMin: row.durationMin });
                    }}
                    onKeyDown={(e) => {
                      if (movingRef.current) return;
                      if ((e.key === 'Enter' || e.key === ' ') && e.target === e.currentTarget && !taken) {
                        e.preventDefault();
                        latest.current.onFreeCell(pr.providerId, minutes);
                      }
                    }}
                  >
                    {[...current, ...gone].map((pl) => (
                      <Block
                        key={pl.row.appointmentId}
                        placed={pl}
                        place={pl.row.status === 'cancelled' ? { band: 'aside', index: gone.indexOf(pl), of: gone.length } : { band: gone.length ? 'main' : 'all', index: current.indexOf(pl), of: current.length }}
                        {...p}
                        onOpen={(x) => latest.current.onOpen(x)}
                        // Every block of the slot (an overbook on another, a cancelled one beside): Tab goes from one to the next.
                        tabbable={isTabStop}
                        dragRef={dragged}
                        resize={resize}
                      />
                    ))}
                    {moving && moving.c === c && Math.floor(moving.minutes / slotMin) === r && (
                      <div class="ghost" style={{ top: `${((moving.minutes % slotMin) / slotMin) * ROW_H}px`, height: `${(moving.durationMin / slotMin) * ROW_H - 2}px` }} aria-hidden="true">
                        {hhmm(moving.minutes)}–{hhmm(moving.minutes + moving.durationMin)} {moving.row.patientName}
                      </div>
                    )}
                    {away && (minutes <= away[0] || minutes === 0) && (
                      <span class="away-label" aria-hidden="true">
                        Time off
                      </span>
                    )}
                    {marked && (
                      <span class="mark" role="note">
                        {marked.text}
                      </span>
                    )}
                  </div>
                );
              })}
            </div>
          );
  }
}

/** A column header's hours line: every working interval ("08:00–12:00, 13:00–17:00"), then any time off. */
export function hoursText(pr: DayProvider): string {
  const work = pr.workingHours.length ? pr.workingHours.map((h) => `${h.start}–${h.end}`).join(', ') : 'Not working';
  const off = pr.timeOff.map((t) => (t.start === '00:00' && t.end === '24:00' ? 'all day' : `${t.start}–${t.end}`));
  return off.length ? `${work} · time off ${off.join(', ')}` : work;
}

/** A grid row that re-renders only when its signature changes. */
class RowMemo extends Component<{ sig: string; render: () => ComponentChildren }> {
  override shouldComponentUpdate(next: { sig: string }): boolean {
    return next.sig !== this.props.sig;
  }
  override render() {
    return this.props.render();
  }
}

/**
 * Where a block sits across its cell, as [left %, width %]: the whole cell, or, when the slot
 * also shows cancelled appointments, the current ones on the left and the cancelled ones in a
 * narrow band at the right. Blocks of one band share it side by side (an overbook).
 */
const BANDS = { all: [0, 100], main: [0, 65], aside: [65, 35] } as const;
interface BlockPlace {
  band: keyof typeof BANDS;
  index: number;
  of: number;
}

function Block(
  props: DayGridProps & { placed: Placed; place: BlockPlace; tabbable: boolean; dragRef: { current: DayRow | undefined }; resize: { current: Resizer } },
) {
  const { row, minutes } = props.placed;
  const slotMin = props.clock.slotMinutes;
  const movable = row.status === 'scheduled' && !!props.onMove;
  // The resize in progress (and whether the click after it must be swallowed).
  const resizing = useRef<{ m: Moving; y0: number } | undefined>(undefined);
  const swallowClick = useRef(false);
  const start = hhmm(minutes);
  const end = hhmm(minutes + row.durationMin);
  const st = STATUS[row.status];
  const top = ((minutes % slotMin) / slotMin) * ROW_H;
  const height = Math.max(ROW_H - 2, (row.durationMin / slotMin) * ROW_H - 2);
  const [from, span] = BANDS[props.place.band];
  const width = span / props.place.of;
  return (
    <button
      type="button"
      data-id={row.appointmentId}
      draggable={movable}
      onDragStart={(e) => {
        if (resizing.current) return e.preventDefault();
        props.dragRef.current = row;
        e.dataTransfer?.setData('text/plain', String(row.appointmentId));
      }}
      aria-keyshortcuts={row.status === 'scheduled' && props.onMove ? 'M' : undefined}
      class={`block ${row.status}${row.overbookReason ? ' overbook' : ''}${props.flash.has(row.appointmentId) ? ' flash' : ''}${props.selectedId === row.appointmentId ? ' selected' : ''}`}
      style={{ top: `${top}px`, height: `${height}px`, left: `${from + props.place.index * width}%`, width: `calc(${width}% - 4px)` }}
      tabIndex={props.tabbable ? 0 : -1}
      onClick={() => {
        if (swallowClick.current) {
          swallowClick.current = false;
          return;
        }
        props.onOpen(row);
      }}
    >
      <span class="b-line">
        <span class="b-time">
          {start}–{end}
        </span>{' '}
        <span class="b-name">{row.patientName},</span>
      </span>
      <span class="b-line">
        {row.patientDob ? `born ${row.patientDob}, ` : ''}
        {row.durationMin} min, <span aria-hidden="true">{st.icon}</span> {st.label}
        {row.overbookReason && (
          // An overbook shows as one in text too, not by its border alone.
          <>
            , <span class="b-overbook">overbook</span>
          </>
        )}
      </span>
      {movable && (
        // Mouse only: the keyboard way to change the length is M, then Shift+Up/Down.
        <span
          class="resize-handle"
          aria-hidden="true"
          title="Drag to change the length"
          onPointerDown={(e) => {
            if (e.button !== 0) return;
            e.preventDefault();
            e.stopPropagation();
            const m = props.resize.current.start(row);
            if (!m) return;
            resizing.current = { m, y0: e.clientY };
            e.currentTarget.setPointerCapture(e.pointerId);
            // As a press on the block would: it takes focus, so Escape reaches the grid and cancels.
            e.currentTarget.parentElement?.focus({ preventScroll: true });
          }}
          onPointerMove={(e) => {
            const r = resizing.current;
            if (!r) return;
            // The new end, snapped to the nearest slot boundary; at least one slot, at most 8 hours.
            const end = Math.round((r.m.minutes + r.m.durationMin + ((e.clientY - r.y0) / ROW_H) * slotMin) / slotMin) * slotMin;
            props.resize.current.to(r.m, Math.max(slotMin, Math.min(480, end - r.m.minutes)));
          }}
          onPointerUp={(e) => {
            const r = resizing.current;
            if (!r) return;
            resizing.current = undefined;
            e.currentTarget.releasePointerCapture(e.pointerId);
            // A drag (saved, refused or cancelled with Escape) is not also a click that opens the appointment.
            const saved = props.resize.current.end(r.m);
            swallowClick.current = saved || Math.abs(e.clientY - r.y0) > 3;
          }}
          onPointerCancel={() => {
            if (!resizing.current) return;
            resizing.current = undefined;
            props.resize.current.cancel();
          }}
        />
      )}
    </button>
  );
}
