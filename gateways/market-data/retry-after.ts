import { AsyncLocalStorage } from 'node:async_hooks';
import { realSleep } from './backoff.js';
import type { Sleep } from './backoff.js';
import type { GatewayErrorCode } from './errors.js';

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
 * The longest wait a `Retry-After` is taken for unless `marketData.maxRetryAfterMs` says otherwise:
 * four days. Binance's 418 IP bans run from 2 minutes to 3 days, and a request during the ban may
 * lengthen it: the venue's wait is honoured whole up to here (it was cut to an hour, so every feed
 * probed a 3-day ban hourly). A header of 10^9 seconds (a buggy or hostile proxy, a misread date)
 * would park a feed, and with the venue's hold every REST request of the venue, for about thirty
 * years, `retrying` with nothing to say it will never come back: a longer wait is cut to the cap
 * and the error's message says so (the feed logs and reports it), and a venue still refusing then
 * answers with its wait again.
 */
export const DEFAULT_MAX_RETRY_AFTER_MS = 4 * 86_400_000;

/** A venue's `Retry-After` as the wait honoured: `ms`, at most the cap, and how to say it (`shown`). */
export type RetryAfterWait = Readonly<{ ms: number; shown: string }>;

/** A cap as people say it: `4 d`, `1 h`, `10 min`, `90 s`, else milliseconds. */
function spanOf(ms: number): string {
  for (const [unit, n] of [['d', 86_400_000], ['h', 3_600_000], ['min', 60_000], ['s', 1000]] as const) if (ms % n === 0) return `${ms / n} ${unit}`;
  return `${ms} ms`;
}

/**
 * The wait a `Retry-After` header asks for ({@link parseRetryAfter}), cut to `maxMs`
 * ({@link DEFAULT_MAX_RETRY_AFTER_MS} unless `marketData.maxRetryAfterMs` sets it): what the feeds
 * and the venue's hold wait. `shown` is for the error's message, with the wall-clock time the venue
 * is asked again (an ISO time: a ban of days read as 259200000 ms says little):
 * `60000 ms (Retry-After 60), until 2026-03-01T00:01:00.000Z`, or
 * `345600000 ms (Retry-After 1000000000, capped at 4 d), until 2026-03-05T00:00:00.000Z`.
 *
 * @example
 * readRetryAfter('60', Date.parse('2026-03-01T00:00:00Z')); // { ms: 60_000, shown: '60000 ms (Retry-After 60), until 2026-03-01T00:01:00.000Z' }
 */
export function readRetryAfter(value: string | undefined, nowMs: number, maxMs: number = DEFAULT_MAX_RETRY_AFTER_MS): RetryAfterWait | undefined {
  const asked = parseRetryAfter(value, nowMs);
  if (asked === undefined) return undefined;
  const ms = Math.min(asked, maxMs);
  const capped = asked > maxMs ? `, capped at ${spanOf(maxMs)}` : '';
  return { ms, shown: `${ms} ms (Retry-After ${String(value)}${capped}), until ${new Date(nowMs + ms).toISOString()}` };
}

/** Why a venue is held: the answer that asked for the wait (`RATE_LIMITED` for a 418/429, `UNAVAILABLE` for a 503) and its message. */
export type HoldCause = Readonly<{ code: GatewayErrorCode; reason: string }>;

/** A request about to wait in a venue's hold: for `ms` more, because of `cause`. */
export type HeldWait = Readonly<{ ms: number } & HoldCause>;

/** Whose request waits in a hold: the feed whose step sent it ({@link reportingHeldWaits}). */
const heldWaits = new AsyncLocalStorage<(w: HeldWait) => void>();

/**
 * Runs `step` telling `onHeld` of every wait in a {@link VenueHold} it makes (and again when a
 * hold it waits in is lengthened): the feed loop reports its feed `held` from it. The hold sits
 * deep in a request (ccxt's `fetch` says nothing of whose request it is), so the feed is found
 * through the async context the step runs in.
 */
export function reportingHeldWaits<T>(onHeld: (w: HeldWait) => void, step: () => Promise<T>): Promise<T> {
  return heldWaits.run(onHeld, step);
}

/** Whom a wait in a hold would be told to here: the feed whose step runs ({@link reportingHeldWaits}), if any. */
export function heldWaitReporter(): ((w: HeldWait) => void) | undefined {
  return heldWaits.getStore();
}

/**
 * When a venue may be asked again: a 429 or 418 with `Retry-After` (a REST answer's, or a refused
 * websocket handshake's on a ccxt venue) holds every REST request of the exchange (all its feeds,
 * polls, backfills and retries) until then. Binance bans the IP (418,
 * for minutes up to days) of a client that goes on asking before Retry-After.
 */
export type VenueHold = Readonly<{
  /** Nobody sends before `now() + ms` (a later hold already in place stays, with its cause). */
  holdFor(ms: number, cause: HoldCause): void;
  /** Milliseconds left of the hold; 0 when none. */
  remainingMs(): number;
  /**
   * Resolves once the hold is over; rejects with `closedError()` when released (or `signal`
   * aborts: the caller's feed is stopping) before that. A wait is told to the feed whose step
   * made it ({@link reportingHeldWaits}), with the time left and the cause.
   */
  wait(signal?: AbortSignal): Promise<void>;
  /** Ends every wait (the exchange is closing): they reject, nothing is sent during the hold. */
  release(): void;
}>;

export function createVenueHold(closedError: () => Error, now: () => number = Date.now, sleep: Sleep = realSleep): VenueHold {
  let until = Number.NEGATIVE_INFINITY;
  let cause: HoldCause | undefined;
  const released = new AbortController();
  const remainingMs = (): number => Math.max(0, until - now());
  return {
    holdFor: (ms, why) => {
      if (now() + ms <= until) return;
      until = now() + ms;
      cause = why;
    },
    remainingMs,
    async wait(signal) {
      if (remainingMs() === 0) return;
      const onHeld = heldWaits.getStore();
      const stop = new AbortController();
      const abort = (): void => stop.abort();
      released.signal.addEventListener('abort', abort, { once: true });
      signal?.addEventListener('abort', abort, { once: true });
      if (released.signal.aborted || signal?.aborted === true) stop.abort();
      try {
        // A hold lengthened while waiting (another feed's 429) is waited out too, and told again.
        let told = Number.NaN;
        for (let left = remainingMs(); left > 0 && !stop.signal.aborted; left = remainingMs()) {
          if (until !== told && cause !== undefined) onHeld?.({ ms: left, ...cause });
          told = until;
          await sleep(left, stop.signal);
        }
      } finally {
        released.signal.removeEventListener('abort', abort);
        signal?.removeEventListener('abort', abort);
      }
      if (remainingMs() > 0) throw closedError(); // released or stopped: asking now would break the hold
    },
    release: () => released.abort(),
  };
}
