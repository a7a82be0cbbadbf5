import { realSleep } from './backoff.js';
import type { Sleep } from './backoff.js';

/** Waits for the caller's turn to send a request; resolves early when `signal` aborts. */
export type RequestSpacer = (signal?: AbortSignal) => Promise<void>;

/**
 * Spaces requests shared by several feeds at least `minGapMs` apart, in the order they ask: a
 * vendor that counts requests per minute (TwelveData's credits) sees at most `60_000 / minGapMs`
 * a minute, whatever the number of feeds or their poll intervals. Each turn starts `minGapMs`
 * after the previous one was actually granted (not after its planned time), so a late timer never
 * lets two turns through closer together.
 *
 * @example
 * const turn = requestSpacer(60_000 / 8); // a plan of 8 requests a minute
 * await turn(signal);
 * await fetch(url);
 */
export function requestSpacer(minGapMs: number, now: () => number = () => performance.now(), sleep: Sleep = realSleep): RequestSpacer {
  /** When the newest turn asked for is (or will be) granted. */
  let last: Promise<number> = Promise.resolve(Number.NEGATIVE_INFINITY);
  return (signal) => {
    const mine = last.then(async (prev) => {
      // Timers run on a whole-millisecond clock and may fire a fraction early: wait again until
      // the gap has really passed.
      for (let wait = prev + minGapMs - now(); wait > 0 && signal?.aborted !== true; wait = prev + minGapMs - now()) await sleep(Math.ceil(wait), signal);
      return now();
    });
    last = mine;
    return mine.then(() => undefined);
  };
}
