import type { Logger } from '../../state/logger.js';
import type { BackoffPolicy, Sleep } from './backoff.js';
import { backoffDelay } from './backoff.js';
import { GatewayError as GatewayErrorClass, GatewayErrorCode as Code, stackOf } from './errors.js';
import type { GatewayError, GatewayErrorCode } from './errors.js';
import type { FeedSink } from './market-data-source.js';
import { reportingHeldWaits } from './retry-after.js';
import type { Freshness } from './feed-watchdog.js';
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
  /** The staleness watchdog (`marketData.watchdog`); undefined: none. */
  watchdog?: FeedWatchdog;
  /** How a websocket feed's first step tells its subscription established before any message (`marketData.subscribedAfterMs`); undefined: it does not. */
  subscribed?: SubscribedCheck;
}>;

/**
 * A websocket feed of a quiet symbol waits in its first step (the watch call returns with the first
 * message) and read `starting` until its first trade, failing the gateway's /readyz. While a
 * (re)subscribing step is pending, every `afterMs` (through the loop's `sleep`) the loop asks
 * `established()` (the venue's websocket open, the subscription sent) and, once it is and no
 * refusal came in that time, says the feed `subscribed`: ready, though nothing came yet. Silence
 * stays the watchdog's to judge.
 */
export type SubscribedCheck = Readonly<{ afterMs: number; established: () => boolean }>;

/**
 * A feed's staleness watchdog. While a step runs (not in a retry's backoff, nor waiting in the
 * venue's hold), silence is counted from the later of the last publish (`fresh`, fed by
 * `freshnessSink`) and the moment the loop last (re)started asking: past `staleAfterMs` the feed is
 * said `stale` (warning), past `staleAfterMs + restartAfterMs` its step is abandoned, `onStale`
 * drops the venue's subscription and the run ends `failed` with `STALE`, for the feed supervisor
 * to restart it. A publish in between says it `connected` again.
 */
export type FeedWatchdog = Readonly<{
  staleAfterMs: number;
  restartAfterMs: number;
  fresh: Freshness;
  /** How often it looks (ms, through the loop's `sleep`): 1 s, or a quarter of `staleAfterMs` when shorter. */
  checkMs?: number;
  /** Drops what the abandoned step waits on (ccxt's `unWatch…`), so the restarted run subscribes anew. */
  onStale?: () => Promise<void>;
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
  const dog = o.watchdog === undefined ? undefined : watchStalls(o, o.watchdog, () => held, () => connectedAt);
  try {
    return await loop();
  } finally {
    dog?.stop();
  }

  /** While the (re)subscribing step is pending: `subscribed` once the check says the subscription is established ({@link SubscribedCheck}). */
  async function saySubscribed(c: SubscribedCheck, settled: AbortSignal): Promise<void> {
    const signal = AbortSignal.any([o.signal, settled]);
    while (!signal.aborted) {
      await o.sleep(c.afterMs, signal);
      if (signal.aborted) return;
      if (held || !c.established()) continue;
      o.sink.status({ type: 'subscribed', feed: o.feed });
      return;
    }
  }

  async function loop(): Promise<FeedLoopEnd> {
    while (!o.signal.aborted) {
      try {
        held = false;
        dog?.arm();
        const step = reportingHeldWaits(onHeld, () => o.step(resync));
        const settled = new AbortController();
        if (resync && o.mode === 'watch' && o.subscribed !== undefined) void saySubscribed(o.subscribed, settled.signal);
        try {
          if (dog === undefined) await step;
          else {
            // The step the watchdog abandons may still settle: nobody waits on it any more.
            step.catch(() => {});
            await Promise.race([step, dog.stalled]);
          }
        } finally {
          settled.abort();
        }
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
        if (err.code === Code.STALE) await o.watchdog?.onStale?.().catch(() => {});
        if (!err.retryable || exhausted) {
          const error = exhausted ? `${err.message} (${streak.n} times in a row: taken for permanent)` : err.message;
          // A bug (INTERNAL) is logged with its stack: its message alone does not say where.
          const stack = stackOf(err);
          o.log.error({ feed: o.feed, code: err.code, err: error, ...(stack !== undefined ? { stack } : {}) }, 'market-data feed failed');
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
        dog?.disarm();
        await o.sleep(delayMs, o.signal);
      }
    }
    o.sink.status({ type: 'stopped', feed: o.feed });
    return { type: 'stopped' };
  }
}

type Watch = Readonly<{ stalled: Promise<never>; arm(): void; disarm(): void; stop(): void }>;

/** The watchdog of one run of {@link runFeedLoop} ({@link FeedWatchdog}). */
function watchStalls(o: FeedLoopOptions, w: FeedWatchdog, isHeld: () => boolean, connectedAt: () => number | undefined): Watch {
  const ended = new AbortController();
  const signal = AbortSignal.any([o.signal, ended.signal]);
  const checkMs = w.checkMs ?? Math.max(1, Math.min(1_000, Math.floor(w.staleAfterMs / 4)));
  /** The feed's clock when the loop last started asking (a run's start, the end of a backoff); undefined while it waits out a backoff. */
  let armedAt: number | undefined;
  let stale = false;
  let fail: (e: GatewayErrorClass) => void = () => {};
  const stalled = new Promise<never>((_, reject) => void (fail = reject));
  stalled.catch(() => {});
  w.fresh.onFresh = () => {
    if (!stale) return;
    stale = false;
    o.sink.status({ type: 'connected', feed: o.feed, mode: o.mode });
    o.log.info({ feed: o.feed }, 'market-data feed delivers again');
  };
  const watch = async (): Promise<void> => {
    while (!signal.aborted) {
      await o.sleep(checkMs, signal);
      if (signal.aborted) return;
      const now = o.now();
      // Waiting in the venue's hold (a Retry-After of minutes or days) is not a stall: counted from its end.
      if (isHeld() && armedAt !== undefined) armedAt = now;
      if (armedAt === undefined) continue;
      const since = Math.max(armedAt, w.fresh.last ?? armedAt);
      const silentMs = now - since;
      const restartAt = since + w.staleAfterMs + w.restartAfterMs;
      if (!stale && silentMs > w.staleAfterMs) {
        stale = true;
        const was = w.fresh.last ?? connectedAt();
        o.sink.status({ type: 'stale', feed: o.feed, silentMs, staleAfterMs: w.staleAfterMs, ...(was !== undefined ? { lastAt: was } : {}), restartAt });
        o.log.warn({ feed: o.feed, silentMs, staleAfterMs: w.staleAfterMs, restartAt: new Date(restartAt).toISOString() }, 'market-data feed stale: nothing published for longer than its watchdog allows; restarted at restartAt if still silent');
      }
      if (stale && now >= restartAt) {
        fail(new GatewayErrorClass(Code.STALE, `nothing published for ${silentMs} ms (stale after ${w.staleAfterMs} ms, restarted ${w.restartAfterMs} ms later): the venue stopped sending this stream`));
        return;
      }
    }
  };
  void watch();
  return {
    stalled,
    arm: () => void (armedAt ??= o.now()),
    disarm: () => {
      armedAt = undefined;
      stale = false;
    },
    stop: () => {
      ended.abort();
      w.fresh.onFresh = undefined;
    },
  };
}
