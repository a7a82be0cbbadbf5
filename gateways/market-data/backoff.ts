import { setTimeout as sleepFor } from 'node:timers/promises';

/** Waits `ms`; resolves early (never rejects) when `signal` aborts. Tests inject an instant one. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const realSleep: Sleep = async (ms, signal) => {
  try {
    await sleepFor(ms, undefined, signal === undefined ? undefined : { signal });
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
