import type { Logger } from '../../state/logger.js';
import type { BackoffPolicy, Sleep } from './backoff.js';
import { backoffDelay } from './backoff.js';
import type { GatewayError, GatewayErrorCode } from './errors.js';
import type { FeedSink } from './market-data-source.js';
import { reportingHeldWaits } from './retry-after.js';
import type { HeldWait } from './retry-after.js';

export type FeedLoopOptions = Readonly<{
  feed: string;
  mode: 'watch' | 'poll';
  sink: FeedSink;
  signal: AbortSignal;
  sleep: Sleep;
  backoff: BackoffPolicy;
  log: Logger;
  /** Wall clock (ms): the retry's time in the warning (`retryAt`, ISO), a venue's ban of days being read as a date. */
  now: () => number;
  /** Maps whatever a step threw to a typed error (ccxt's hierarchy, HTTP statuses); its `maxAttempts` caps failures of its code in a row. */
  classify: (e: unknown) => GatewayError;
  /**
   * One unit of work: a websocket batch, or one poll. `resync` is true on the first step and after
   * every failure (a dropped socket, a failed request): the step then backfills what it missed.
   */
  step: (resync: boolean) => Promise<void>;
  /** Called after a failure, before the backoff: drop state that the lost connection made stale. */
  onFailure?: () => void;
}>;

/**
 * How a run of {@link runFeedLoop} ended: stopped (its signal aborted), or `failed` (a permanent
 * failure, already reported `failed` and logged) with the failure and, when a step of this run got
 * through, the feed's clock at the first one (`connectedAt`): the feed supervisor restarts it
 * (`feed-supervisor.ts`).
 */
export type FeedLoopEnd =
  | Readonly<{ type: 'stopped' }>
  | Readonly<{ type: 'failed'; code: GatewayErrorCode; error: string; connectedAt?: number }>;

/**
 * Runs a feed until aborted. A request of a step waiting in the venue's hold (another feed's
 * 418/429 `Retry-After`) is said `held` (with `retryAt`, and a warning), then `connected` once a
 * step gets through. A retryable failure (network, 429, 5xx) is reported, waited out with
 * exponential backoff (at least the venue's `Retry-After`, when it gave one) and followed by a resync; a permanent one (unknown symbol, credentials, any
 * other venue refusal) is reported as `failed` and ends this run of the feed only — the others keep
 * running, and the feed supervisor restarts it ({@link FeedLoopEnd}). `stopped` is said when the
 * signal ends it.
 */
export async function runFeedLoop(o: FeedLoopOptions): Promise<FeedLoopEnd> {
  let resync = true;
  let attempt = 0;
  /** Failures in a row with the code of the last one. */
  let streak = { code: undefined as string | undefined, n: 0 };
  /** Whether the current step waited in the venue's hold (and said `held`). */
  let held = false;
  /** The feed's clock at the first step that got through. */
  let connectedAt: number | undefined;
  // Another feed's 418/429 holds this one's requests too: it says so, not silent while it delivers nothing.
  const onHeld = (w: HeldWait): void => {
    held = true;
    const retryAt = o.now() + w.ms;
    o.sink.status({ type: 'held', feed: o.feed, delayMs: w.ms, retryAt, code: w.code, error: w.reason });
    o.log.warn({ feed: o.feed, delayMs: w.ms, retryAt: new Date(retryAt).toISOString(), code: w.code, err: w.reason }, 'market-data feed held: the venue asked for no request until retryAt');
  };
  while (!o.signal.aborted) {
    try {
      held = false;
      await reportingHeldWaits(onHeld, () => o.step(resync));
      if (resync || held) o.sink.status({ type: 'connected', feed: o.feed, mode: o.mode });
      connectedAt ??= o.now();
      resync = false;
      attempt = 0;
      streak = { code: undefined, n: 0 };
    } catch (e) {
      if (o.signal.aborted) break;
      const err = o.classify(e);
      streak = { code: err.code, n: streak.code === err.code ? streak.n + 1 : 1 };
      const exhausted = err.maxAttempts !== undefined && streak.n >= err.maxAttempts;
      if (!err.retryable || exhausted) {
        const error = exhausted ? `${err.message} (${streak.n} times in a row: taken for permanent)` : err.message;
        o.log.error({ feed: o.feed, code: err.code, err: error }, 'market-data feed failed');
        o.sink.status({ type: 'failed', feed: o.feed, code: err.code, error });
        return { type: 'failed', code: err.code, error, ...(connectedAt !== undefined ? { connectedAt } : {}) };
      }
      attempt++;
      // The venue's Retry-After is a floor: asking sooner risks a ban (Binance's 418).
      const delayMs = Math.max(backoffDelay(o.backoff, attempt), err.retryAfterMs ?? 0);
      if (!resync) o.sink.status({ type: 'disconnected', feed: o.feed, error: err.message });
      o.sink.status({ type: 'retrying', feed: o.feed, attempt, delayMs, code: err.code, error: err.message });
      o.log.warn({ feed: o.feed, attempt, delayMs, retryAt: new Date(o.now() + delayMs).toISOString(), code: err.code, err: err.message }, 'market-data feed retrying');
      o.onFailure?.();
      resync = true;
      await o.sleep(delayMs, o.signal);
    }
  }
  o.sink.status({ type: 'stopped', feed: o.feed });
  return { type: 'stopped' };
}
