import type { Clock, TimerHandle } from '../clock.js';

/** Node fires a longer timer after 1 ms (with a TimeoutOverflowWarning) instead of never. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * The wall clock, for live wiring only: the one file in `state/` allowed to read real time
 * (lint exempts exactly this file). Delays longer than Node's timer range (~24.8 days) are
 * chained, so a generous `staleAfterMs` does not fire at once.
 */
export function createLiveClock(): Clock {
  let nextId = 0;
  const timers = new Map<number, NodeJS.Timeout>();

  const arm = (id: number, fn: () => void, ms: number): void => {
    const step = Math.min(ms, MAX_TIMER_MS);
    timers.set(
      id,
      setTimeout(() => {
        if (ms > step) return arm(id, fn, ms - step);
        timers.delete(id);
        fn();
      }, step),
    );
  };

  return {
    now: () => Date.now(),
    setTimeout: (fn, ms) => {
      const id = ++nextId;
      arm(id, fn, ms > 0 ? ms : 0);
      return { id };
    },
    clearTimeout: (h: TimerHandle) => {
      clearTimeout(timers.get(h.id));
      timers.delete(h.id);
    },
  };
}
