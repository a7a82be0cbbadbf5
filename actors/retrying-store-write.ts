import type { Clock } from '../state/clock.js';
import { isRetryableStoreError, StoreError } from '../state/errors.js';

/** How a store write is tried again: `attempts` tries in all, waiting `firstDelayMs` (doubling, at most `maxDelayMs`) between two. */
export type StoreRetryPolicy = Readonly<{ attempts: number; firstDelayMs: number; maxDelayMs: number }>;

/** Called before each wait: the failure of try `attempt` (1-based), and how long the next one waits. */
export type OnStoreRetry = (e: unknown, attempt: number, delayMs: number) => void;

/**
 * A write whose every try failed, each with a failure a retry could have cured (the store away
 * longer than the tries last): says which store, how many tries over how long, and the last
 * failure (the `cause`). As retryable as that failure: a later run may find the store back.
 */
export class StoreRetriesSpentError extends StoreError {
  override readonly name = 'StoreRetriesSpentError';
  constructor(
    readonly store: string,
    readonly tries: number,
    readonly elapsedMs: number,
    last: unknown,
  ) {
    const said = last instanceof Error ? last.message : String(last);
    super(`${store} did not take the write: ${tries} tries over ${(elapsedMs / 1000).toFixed(1)} s failed (retries spent), the last with: ${said}`, isRetryableStoreError(last), { cause: last });
  }
}

/**
 * Wraps a store write so that a failure the store reports as retryable (`StoreError.retryable`: a
 * dropped connection, a failover, a timeout) is tried again, after a backoff on the injected
 * clock, up to `attempts` tries in all. Any other failure, or the last try's, is the caller's:
 * with `store` named (`PostgreSQL (the risk store)`), the last try's failure comes wrapped in a
 * {@link StoreRetriesSpentError} saying that store and the tries spent, so that an operator who
 * reads only the final line knows a retry policy ran out and on what.
 * The writes given are idempotent (a whole value stored again), so a try that failed after the
 * store took it is harmless. The same role `retryingPublish` plays for publishes.
 */
export function retryingStoreWrite(clock: Clock, policy: StoreRetryPolicy, onRetry?: OnStoreRetry, store?: string): (write: () => Promise<void>) => () => Promise<void> {
  const { attempts, firstDelayMs, maxDelayMs } = policy;
  if (!Number.isInteger(attempts) || attempts < 1) throw new RangeError(`attempts must be a positive integer, got ${attempts}`);
  if (!(firstDelayMs >= 0) || !(maxDelayMs >= firstDelayMs)) throw new RangeError(`delays must satisfy 0 <= firstDelayMs <= maxDelayMs, got ${firstDelayMs} and ${maxDelayMs}`);
  const wait = (ms: number): Promise<void> => new Promise<void>((resolve) => void clock.setTimeout(resolve, ms));
  return (write) => async () => {
    const from = clock.now();
    for (let tried = 1; ; tried++) {
      try {
        await write();
        return;
      } catch (e) {
        if (!isRetryableStoreError(e)) throw e;
        if (tried >= attempts) throw store === undefined || attempts === 1 ? e : new StoreRetriesSpentError(store, tried, clock.now() - from, e);
        const delay = Math.min(maxDelayMs, firstDelayMs * 2 ** (tried - 1));
        onRetry?.(e, tried, delay);
        await wait(delay);
      }
    }
  };
}
