import { realSleep } from './backoff.js';
import type { Sleep } from './backoff.js';

/**
 * An HTTP `Retry-After` value as milliseconds to wait from `nowMs`: delay-seconds (`120`) or an
 * HTTP date (`Wed, 21 Oct 2026 07:28:00 GMT`, read against the wall clock `nowMs`). Undefined when
 * absent or unreadable; a date already past is 0. Uncapped: waits go through {@link readRetryAfter}.
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
 * The longest wait a `Retry-After` is taken for: one hour. A header of 10^9 seconds (a buggy or
 * hostile proxy, a misread date) would park a feed, and with the venue's hold every REST request
 * of the venue, for about thirty years, `retrying` with nothing to say it will never come back. A
 * longer wait is cut to this and the error's message says so (the feed logs and reports it): the
 * feed asks again after an hour, and a venue still refusing answers with its wait again. Binance's
 * 418 bans run from 2 minutes to 3 days: a longer one is probed once an hour, per feed.
 */
export const MAX_RETRY_AFTER_MS = 3_600_000;

/** A venue's `Retry-After` as the wait honoured: `ms`, at most {@link MAX_RETRY_AFTER_MS}, and how to say it (`shown`). */
export type RetryAfterWait = Readonly<{ ms: number; shown: string }>;

/**
 * The wait a `Retry-After` header asks for ({@link parseRetryAfter}), cut to
 * {@link MAX_RETRY_AFTER_MS}: what the feeds and the venue's hold wait. `shown` is for the error's
 * message: `60000 ms (Retry-After 60)`, or `3600000 ms (Retry-After 1000000000, capped at 1 h)`.
 *
 * @example
 * readRetryAfter('60', Date.now()); // { ms: 60_000, shown: '60000 ms (Retry-After 60)' }
 */
export function readRetryAfter(value: string | undefined, nowMs: number): RetryAfterWait | undefined {
  const asked = parseRetryAfter(value, nowMs);
  if (asked === undefined) return undefined;
  const ms = Math.min(asked, MAX_RETRY_AFTER_MS);
  const capped = asked > MAX_RETRY_AFTER_MS ? `, capped at ${MAX_RETRY_AFTER_MS / 3_600_000} h` : '';
  return { ms, shown: `${ms} ms (Retry-After ${String(value)}${capped})` };
}

/**
 * When a venue may be asked again: a 429 or 418 with `Retry-After` (a REST answer's, or a refused
 * websocket handshake's on a ccxt venue) holds every REST request of the exchange (all its feeds,
 * polls, backfills and retries) until then. Binance bans the IP (418,
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
