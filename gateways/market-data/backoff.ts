import { setTimeout as sleepFor } from 'node:timers/promises';

/** Waits `ms`; resolves early (never rejects) when `signal` aborts. Tests inject an instant one. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** The longest delay a Node timer takes (2^31 − 1 ms, about 24.8 days): a longer one fires after 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A wait longer than a timer can hold (a venue's `Retry-After` of weeks) is waited in pieces: given
 * to one timer it fired after 1 ms, and the backoff and the venue's hold woke every millisecond.
 */
export const realSleep: Sleep = async (ms, signal) => {
  const end = performance.now() + ms;
  try {
    for (let left = ms; left > 0 && signal?.aborted !== true; left = end - performance.now()) {
      await sleepFor(Math.min(left, MAX_TIMER_MS), undefined, signal === undefined ? undefined : { signal });
    }
  } catch {
    // aborted: the caller checks its signal
  }
};

export type BackoffPolicy = Readonly<{
  /** First delay. */
  minMs: number;
  /** Delays double up to this. */
  maxMs: number;
}>;

/** Delay before retry number `attempt` (1-based): min·2^(attempt-1), capped at max. No jitter: tests assert the delays. */
export function backoffDelay(policy: BackoffPolicy, attempt: number): number {
  return Math.min(policy.maxMs, policy.minMs * 2 ** Math.max(0, attempt - 1));
}
