import type { Clock, TimerHandle } from '../clock.js';

export type SimulatedClock = Clock & {
  /**
   * Moves time forward to `ms`, firing every timer due at or before it in order of due time,
   * then of scheduling; each sees `now()` equal to its own due time, and timers it schedules
   * that are also due fire in the same call. Time never goes back: an earlier `ms` is a no-op.
   * Throws a RangeError for a non-finite `ms` (a bug in the caller, not a time).
   */
  advanceTo(ms: number): void;
  /** `advanceTo(now() + ms)`. */
  advanceBy(ms: number): void;
  /** Timers scheduled and neither fired nor cleared. */
  pending(): number;
  /** Due time of the next timer to fire, or undefined when none is pending. */
  nextDue(): number | undefined;
};

type Timer = { readonly id: number; readonly due: number; readonly fn: () => void };

/** Heap order: due time, then scheduling order (ids only grow). */
const before = (a: Timer, b: Timer): boolean => a.due < b.due || (a.due === b.due && a.id < b.id);

/**
 * A clock driven by event time. Replay and backtests call `advanceTo(event.ts)` before each
 * event, so the timers due before it (lifecycle timeouts such as staleness) fire first, in a
 * fixed order, and the same input stream always gives the same outputs.
 *
 * Timers live in a binary heap; `clearTimeout` only forgets the id and the heap drops the entry
 * when it surfaces (or on compaction), because every DATA batch of every asset machine clears
 * and re-arms a timer, and a backtest runs thousands of those.
 *
 * @example
 * const clock = createSimulatedClock(0);
 * clock.setTimeout(() => log('stale'), 5_000);
 * for (const e of events) { clock.advanceTo(e.ts); handle(e); }
 */
export function createSimulatedClock(startMs = 0): SimulatedClock {
  if (!Number.isFinite(startMs)) throw new RangeError(`start time must be finite, got ${startMs}`);
  let now = startMs;
  let nextId = 0;
  const heap: Timer[] = [];
  const live = new Map<number, Timer>();

  const push = (t: Timer): void => {
    let i = heap.push(t) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent] as Timer;
      if (!before(t, p)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = t;
  };

  const popTop = (): void => {
    const last = heap.pop() as Timer;
    if (heap.length === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= heap.length) break;
      const r = l + 1;
      const c = r < heap.length && before(heap[r] as Timer, heap[l] as Timer) ? r : l;
      if (!before(heap[c] as Timer, last)) break;
      heap[i] = heap[c] as Timer;
      i = c;
    }
    heap[i] = last;
  };

  /** The earliest live timer, dropping cleared ones from the top on the way. */
  const peek = (): Timer | undefined => {
    for (;;) {
      const t = heap[0];
      if (t === undefined || live.has(t.id)) return t;
      popTop();
    }
  };

  const compactIfMostlyCleared = (): void => {
    if (heap.length < 64 || heap.length < 4 * live.size) return;
    heap.length = 0;
    for (const t of [...live.values()].sort((a, b) => (before(a, b) ? -1 : 1))) heap.push(t); // sorted ⇒ a valid heap
  };

  const advanceTo = (ms: number): void => {
    if (!Number.isFinite(ms)) throw new RangeError(`cannot advance to ${ms}`);
    for (;;) {
      const t = peek();
      if (t === undefined || t.due > ms) break;
      popTop();
      live.delete(t.id);
      now = Math.max(now, t.due);
      t.fn();
    }
    now = Math.max(now, ms);
  };

  return {
    now: () => now,
    setTimeout: (fn, ms) => {
      // Like the platform timers: a negative or NaN delay means "as soon as possible".
      const delay = ms > 0 ? ms : 0;
      const t: Timer = { id: ++nextId, due: now + delay, fn };
      live.set(t.id, t);
      push(t);
      return { id: t.id };
    },
    clearTimeout: (h: TimerHandle) => {
      if (live.delete(h.id)) compactIfMostlyCleared();
    },
    advanceTo,
    advanceBy: (ms) => advanceTo(now + ms),
    pending: () => live.size,
    nextDue: () => peek()?.due,
  };
}
