import type { Logger } from '../../state/logger.js';
import type { BackoffPolicy, Sleep } from './backoff.js';
import { backoffDelay } from './backoff.js';
import { stackOf } from './errors.js';
import type { GatewayError } from './errors.js';
import type { FeedLoopEnd } from './feed-loop.js';
import type { FeedSink } from './market-data-source.js';

/**
 * `marketData.restart`: a failed feed is started again after `minMs`, the delay doubling with each
 * restart in a row up to `maxMs`; a run that stayed connected for `maxMs` starts the count over.
 */
export type RestartPolicy = BackoffPolicy;

export type SuperviseFeedOptions = Readonly<{
  feed: string;
  sink: FeedSink;
  signal: AbortSignal;
  sleep: Sleep;
  log: Logger;
  /** The feed's clock (ms): `retryAt`, and how long a run stayed connected. */
  now: () => number;
  /** Undefined: a failed feed stays failed (a source built by hand, tests of one failure). */
  restart: RestartPolicy | undefined;
  /** What a throw out of the feed loop itself is taken for (the loop classifies its steps' failures). */
  classify: (e: unknown) => GatewayError;
  /**
   * One run of the feed, with state of its own: a fresh feed each time (its open bar, its counters),
   * so nothing the failed run held carries over; it resyncs from the sink's high-water marks.
   */
  run: () => Promise<FeedLoopEnd>;
}>;

/**
 * Runs a feed and restarts it when it fails, like the asset actors' supervisor
 * (`actors/supervisor.ts`) restarts an actor: a permanent failure (`failed`: an unknown symbol, a
 * revoked key, a refusal ccxt names, a websocket error repeated five times, our own loop throwing)
 * ended the feed for good while the gateway kept running with the others, so the engine's risk
 * refused orders as stale with nothing but one error line to say why; a venue that recovered, or a
 * key put right, was never asked again. Now the feed is said `restarting` (attempt, `delayMs`,
 * `retryAt` and the failure's code and message, logged at warn) and started afresh after
 * `restart`'s backoff, never sooner than `minMs` (no spin); the count restarts once a run stayed
 * connected for `maxMs`. The restarted feed resyncs from the sink's high-water marks (a backfill
 * of what it missed, what overlaps skipped or deduplicated by id), as after a dropped connection.
 * Returns once the signal aborts (`stopped`), or after a failure when there is no restart policy.
 */
export async function superviseFeed(o: SuperviseFeedOptions): Promise<void> {
  let attempt = 0;
  for (;;) {
    let end: FeedLoopEnd;
    try {
      end = await o.run();
    } catch (e) {
      // Not a step's failure (the loop classifies those): the loop itself, ours.
      if (o.signal.aborted) {
        o.sink.status({ type: 'stopped', feed: o.feed });
        return;
      }
      const err = o.classify(e);
      const error = `the feed loop threw: ${err.message}`;
      const stack = stackOf(err);
      o.log.error({ feed: o.feed, code: err.code, err: error, ...(stack !== undefined ? { stack } : {}) }, 'market-data feed failed');
      o.sink.status({ type: 'failed', feed: o.feed, code: err.code, error });
      end = { type: 'failed', code: err.code, error };
    }
    if (end.type === 'stopped' || o.restart === undefined) return;
    if (o.signal.aborted) {
      o.sink.status({ type: 'stopped', feed: o.feed });
      return;
    }
    if (end.connectedAt !== undefined && o.now() - end.connectedAt >= o.restart.maxMs) attempt = 0;
    attempt++;
    const delayMs = backoffDelay(o.restart, attempt);
    const retryAt = o.now() + delayMs;
    o.sink.status({ type: 'restarting', feed: o.feed, attempt, delayMs, retryAt, code: end.code, error: end.error });
    o.log.warn({ feed: o.feed, attempt, delayMs, retryAt: new Date(retryAt).toISOString(), code: end.code, err: end.error }, 'market-data feed failed: restarting it at retryAt');
    await o.sleep(delayMs, o.signal);
    if (o.signal.aborted) {
      o.sink.status({ type: 'stopped', feed: o.feed });
      return;
    }
  }
}
