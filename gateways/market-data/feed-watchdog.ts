import type { Feed, FeedSink } from './market-data-source.js';
import { TIMEFRAME_MS } from '../../streams/messages/bar.js';

/**
 * `marketData.watchdog`: how long a feed may go without publishing anything before it is said
 * `stale`, and how much longer before it is restarted.
 */
export type WatchdogPolicy = Readonly<{
  /** Bars: stale when no bar was published for one timeframe plus this. */
  barGraceMs: number;
  /** Trades: stale after this long without a trade published. */
  tradeMaxSilenceMs: number;
  /** Quotes: stale after this long without a quote published. */
  quoteMaxSilenceMs: number;
  /** A feed still silent this long after it was said `stale` is ended (`STALE`) and restarted by the feed supervisor. */
  restartAfterMs: number;
}>;

/** The silence after which `feed` is stale under `p`: bars one timeframe plus the grace, trades and quotes their configured silence. */
export function staleAfterMs(p: WatchdogPolicy, feed: Feed): number {
  if (feed.kind === 'bar') return TIMEFRAME_MS[feed.tf] + p.barGraceMs;
  return feed.kind === 'trade' ? p.tradeMaxSilenceMs : p.quoteMaxSilenceMs;
}

/**
 * When a run of a feed last published, fed by {@link freshnessSink}: what the watchdog of
 * `runFeedLoop` reads. `onFresh` is the loop's (a stale feed that delivers again is said live).
 */
export type Freshness = {
  /** The feed's clock at its newest publish in this run; undefined before one. */
  last: number | undefined;
  onFresh: (() => void) | undefined;
};

export const createFreshness = (): Freshness => ({ last: undefined, onFresh: undefined });

/**
 * The sink one run of a feed uses: it marks `fresh` at each message published, and once `close`d
 * (the run ended) it refuses every call, so a step the watchdog abandoned (a websocket call that
 * never returned) cannot publish beside the restarted run if it returns after all.
 */
export function freshnessSink(sink: FeedSink, fresh: Freshness, now: () => number): FeedSink & { close(): void } {
  let closed = false;
  const open = (): void => {
    if (closed) throw new Error('this run of the feed ended (its step was abandoned by the watchdog)');
  };
  return {
    highWater: async (feed) => {
      open();
      return sink.highWater(feed);
    },
    offer: async (feed, candidate, origin) => {
      open();
      const v = await sink.offer(feed, candidate, origin);
      if (v.type === 'published' && !closed) {
        fresh.last = now();
        fresh.onFresh?.();
      }
      return v;
    },
    refuse: async (feed, candidate, reason, detail) => {
      open();
      return sink.refuse(feed, candidate, reason, detail);
    },
    status: (s) => {
      if (!closed) sink.status(s);
    },
    close: () => void (closed = true),
  };
}
