import { realSleep } from './backoff.js';
import type { Sleep } from './backoff.js';

/**
 * An HTTP `Retry-After` value as milliseconds to wait from `nowMs`: delay-seconds (`120`) or an
 * HTTP date (`Wed, 21 Oct 2026 07:28:00 GMT`, read against the wall clock `nowMs`). Undefined when
 * absent or unreadable; a date already past is 0.
 *
 * @example
 * parseRetryAfter('2', Date.now()); // 2000
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  const v = value?.trim();
  if (v === undefined || v === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.ceil(Number(v) * 1000);
  if (!/[a-z]/i.test(v)) return undefined; // Date.parse takes '-3' for a year
  const at = Date.parse(v);
  return Number.isFinite(at) ? Math.max(0, at - nowMs) : undefined;
}

/**
 * When a venue may be asked again: a 429 or 418 with `Retry-After` holds every REST request of the
 * exchange (all its feeds, polls, backfills and retries) until then. Binance bans the IP (418,
 * for minutes up to days) of a client that goes on asking before Retry-After.
 */
export type VenueHold = Readonly<{
  /** Nobody sends before `now() + ms` (a later hold already in place stays). */
  holdFor(ms: number): void;
  /** Milliseconds left of the hold; 0 when none. */
  remainingMs(): number;
  /**
   * Resolves once the hold is over; rejects with `closedError()` when released (or `signal`
   * aborts: the caller's feed is stopping) before that.
   */
  wait(signal?: AbortSignal): Promise<void>;
  /** Ends every wait (the exchange is closing): they reject, nothing is sent during the hold. */
  release(): void;
}>;

export function createVenueHold(closedError: () => Error, now: () => number = Date.now, sleep: Sleep = realSleep): VenueHold {
  let until = Number.NEGATIVE_INFINITY;
  const released = new AbortController();
  const remainingMs = (): number => Math.max(0, until - now());
  return {
    holdFor: (ms) => void (until = Math.max(until, now() + ms)),
    remainingMs,
    async wait(signal) {
      if (remainingMs() === 0) return;
      const stop = new AbortController();
      const abort = (): void => stop.abort();
      released.signal.addEventListener('abort', abort, { once: true });
      signal?.addEventListener('abort', abort, { once: true });
      if (released.signal.aborted || signal?.aborted === true) stop.abort();
      try {
        // A hold lengthened while waiting (another feed's 429) is waited out too.
        for (let left = remainingMs(); left > 0 && !stop.signal.aborted; left = remainingMs()) await sleep(left, stop.signal);
      } finally {
        released.signal.removeEventListener('abort', abort);
        signal?.removeEventListener('abort', abort);
      }
      if (remainingMs() > 0) throw closedError(); // released or stopped: asking now would break the hold
    },
    release: () => released.abort(),
  };
}
