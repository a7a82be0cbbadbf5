import { realSleep } from './backoff.js';
import type { Sleep } from './backoff.js';

/**
 * Sends a request at the caller's turn: calls `send` once the turn has come and answers what it
 * returned, or undefined without calling it when `signal` aborts first.
 */
export type RequestSpacer = <T>(send: () => T, signal?: AbortSignal) => Promise<T | undefined>;

/**
 * Spaces requests shared by several feeds at least `minGapMs` apart, in the order they ask: a
 * vendor that counts requests per minute (TwelveData's credits) sees at most `60_000 / minGapMs`
 * a minute, whatever the number of feeds or their poll intervals.
 *
 * The spacer makes the call itself, synchronously when the turn comes, and the next turn starts
 * `minGapMs` after that call returned — not after the turn's planned time, nor after it was
 * granted: a late timer, or a thread descheduled between a grant and the send (a loaded machine
 * does that for tens of milliseconds), cannot bring two sends closer together than the gap.
 *
 * @example
 * const spaced = requestSpacer(60_000 / 8); // a plan of 8 requests a minute
 * const res = await spaced(() => fetch(url), signal); // undefined: aborted while waiting
 */
export function requestSpacer(minGapMs: number, now: () => number = () => performance.now(), sleep: Sleep = realSleep): RequestSpacer {
  /** When the newest turn asked for is (or will be) over: its send has returned. */
  let last: Promise<number> = Promise.resolve(Number.NEGATIVE_INFINITY);
  return <T>(send: () => T, signal?: AbortSignal): Promise<T | undefined> => {
    /** What `send` gave (or threw); undefined while it has not been called (and when aborted). */
    let sent: Readonly<{ ok: true; value: T } | { ok: false; error: unknown }> | undefined;
    const mine = last.then(async (prev) => {
      // Timers run on a whole-millisecond clock and may fire a fraction early: wait again until
      // the gap has really passed.
      for (let wait = prev + minGapMs - now(); wait > 0 && signal?.aborted !== true; wait = prev + minGapMs - now()) await sleep(Math.ceil(wait), signal);
      if (signal?.aborted === true) return prev; // nothing sent: the next turn keeps this one's start
      try {
        sent = { ok: true, value: send() };
      } catch (error) {
        sent = { ok: false, error };
      }
      return now();
    });
    last = mine;
    return mine.then(() => {
      if (sent !== undefined && !sent.ok) throw sent.error;
      return sent?.value;
    });
  };
}
