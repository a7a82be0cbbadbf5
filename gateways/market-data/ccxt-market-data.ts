import type { Exchange, OHLCV, Ticker, Trade } from 'ccxt';
import type { Timeframe } from '../../streams/messages/bar.js';
import { TIMEFRAME_MS } from '../../streams/messages/bar.js';
import { RefusalReason } from '../../streams/messages/dlq-entry.js';
import type { Logger } from '../../state/logger.js';
import { silentLogger } from '../../state/logger.js';
import type { BackoffPolicy, Sleep } from './backoff.js';
import { realSleep } from './backoff.js';
import type { Candidate, Candle } from './candidates.js';
import { barCandidate, quoteCandidate, tradeCandidate } from './candidates.js';
import { fromCcxtError, fromCcxtWatchError } from './errors.js';
import { runFeedLoop } from './feed-loop.js';
import type { FeedLoopEnd } from './feed-loop.js';
import { superviseFeed } from './feed-supervisor.js';
import type { RestartPolicy } from './feed-supervisor.js';
import type { Feed, FeedSink, MarketDataSource, Origin } from './market-data-source.js';
import { feedName } from './market-data-source.js';
import { reportGap } from './gap-status.js';
import { createFreshness, freshnessSink, staleAfterMs } from './feed-watchdog.js';
import type { WatchdogPolicy } from './feed-watchdog.js';
import type { FeedWatchdog } from './feed-loop.js';

export type CcxtMarketDataOptions = Readonly<{
  exchange: Exchange;
  assets: ReadonlyArray<Readonly<{ venue: string; symbol: string }>>;
  timeframes: readonly Timeframe[];
  trades: boolean;
  quotes: boolean;
  /** `auto`: websocket where `exchange.has[watch…]`, REST polling otherwise; `poll`: always poll. */
  mode: 'auto' | 'poll';
  pollMs: number;
  /** Bars fetched before the first live bar when the stream holds none of a feed yet. */
  backfillBars: number;
  /** Rows per REST page (fetchOHLCV / fetchTrades). */
  pageLimit: number;
  /**
   * The ccxt `fetchTrades` param that starts a page at a trade id (inclusive), so a backfill reads
   * a millisecond holding more trades than a page to its end: by default `fromId` on the binance
   * venues, none elsewhere; `false`: the venue has none.
   */
  tradeIdParam?: string | false;
  /** Extra params of the watch calls, e.g. `{ trades: { name: 'aggTrade' }, ticker: { name: 'ticker' } }` on binance. */
  watchParams?: Readonly<{ trades?: Record<string, unknown>; ticker?: Record<string, unknown> }>;
  backoff: BackoffPolicy;
  /** `marketData.restart`: a feed that failed is started again with this backoff; undefined, it stays `failed`. */
  restart?: RestartPolicy;
  /** `marketData.watchdog`: a feed silent too long is said `stale`, then restarted; undefined: no watchdog. */
  watchdog?: WatchdogPolicy;
  /**
   * `marketData.subscribedAfterMs`: a websocket feed whose watch call is still waiting this long
   * with the venue's websocket open is said `subscribed` (ready before its first message: a quiet
   * symbol); undefined: it says nothing before its first message.
   */
  subscribedAfterMs?: number;
  now: () => number;
  sleep?: Sleep;
  log?: Logger;
}>;

/** ccxt pro's candle cache of a symbol and timeframe (`exchange.ohlcvs`), when it has one. */
function cachedCandles(ex: Exchange, symbol: string, tf: string): readonly Candle[] | undefined {
  const all = (ex as unknown as { ohlcvs?: Record<string, Record<string, readonly Candle[] | undefined> | undefined> }).ohlcvs;
  return all?.[symbol]?.[tf];
}

/** Largest window binance's aggTrades accepts (1 h); other venues take it too. */
const TRADE_WINDOW_MS = 3_600_000;

/** ccxt exchanges whose `fetchTrades` pages by aggregate trade id (Binance's `fromId`, spot and futures alike). */
const FROM_ID_VENUES: ReadonlySet<string> = new Set(['binance', 'binanceus', 'binanceusdm', 'binancecoinm']);
const NUMERIC_ID = /^\d{1,15}$/;

/**
 * Event time between two dead letters of a feed's trades without an id. A venue that sends none
 * (ccxt's hollaex, coinspot) would otherwise put every trade it ever sends on the DLQ.
 */
const IDLESS_DEAD_LETTER_MS = 60_000;

/** How long a stale feed's unsubscription may take before its restart goes on without it. */
const UNWATCH_TIMEOUT_MS = 5_000;

/** A websocket call: what the venue pushes as an error there is classified as such ({@link fromCcxtWatchError}). */
const watched = <T>(p: Promise<T>): Promise<T> =>
  p.catch((e: unknown) => {
    throw fromCcxtWatchError(e);
  });

const tradeFields = (t: Trade) => ({ id: t.id, ts: t.timestamp, price: t.price, qty: t.amount, side: t.side });

/**
 * Market data from a ccxt venue: per asset, bars of each timeframe, trades and best bid/ask
 * (the ticker's), by websocket (`watchOHLCV`, `watchTrades`, `watchTicker`) where the venue has
 * it and by REST polling otherwise.
 *
 * - **Closed bars only.** ccxt does not expose the kline `closed` flag, so a bar is closed when a
 *   later bar's open time appears (its last update, the venue's final one, is published), or when
 *   fetched by REST with a later bar after it.
 * - **No hole.** On start-up and after every failure the feed resyncs: the first live bar or trade
 *   bounds a REST backfill (`fetchOHLCV`/`fetchTrades`, paginated) from the stream's last stored
 *   event time up to it, so backfill and live data meet without a gap. A bar that arrives more
 *   than one timeframe after the previous one (missed updates) is backfilled the same way, and a
 *   live bar the sink refuses is fetched again by REST.
 * - **No duplicate.** The sink's high-water marks skip what backfill overlaps and refuse live
 *   repeats and out-of-order messages to the DLQ; JetStream's window drops the rest by id.
 * - Quotes have no history to backfill: they resume live.
 * - An error the venue pushes over the websocket that ccxt cannot name is retried like a dropped
 *   socket; one it names (unknown symbol, credentials) stops the feed ({@link fromCcxtWatchError}).
 */
export function createCcxtMarketData(o: CcxtMarketDataOptions): MarketDataSource {
  const ex = o.exchange;
  const log = o.log ?? silentLogger;
  const sleep = o.sleep ?? realSleep;
  const watches = (method: string): boolean => o.mode === 'auto' && ex.has[method] === true;
  const idParam = o.tradeIdParam ?? (FROM_ID_VENUES.has(ex.id) ? 'fromId' : false);

  const loops = (sink: FeedSink, signal: AbortSignal): Promise<void>[] => {
    const out: Promise<void>[] = [];
    // The watch calls wait on the venue's websocket: open (ccxt's client for it connected) and no refusal yet, the subscription stands.
    const subscribed = o.subscribedAfterMs === undefined ? {} : { subscribed: { afterMs: o.subscribedAfterMs, established: () => Object.values(ex.clients).some((c) => c.isConnected === true) } };
    const common = { sink, signal, sleep, backoff: o.backoff, log, now: o.now, classify: fromCcxtError, ...subscribed };
    /**
     * Each run of a feed is built afresh: a restart carries none of the failed run's state over.
     * With a watchdog, the run's feed publishes through a sink of its own that marks it fresh and
     * is closed when the run ends (a step the watchdog abandoned publishes nothing after it).
     */
    const supervise = (feed: Feed, run: (runSink: FeedSink, watchdog: FeedWatchdog | undefined) => Promise<FeedLoopEnd>): void =>
      void out.push(
        superviseFeed({
          feed: feedName(feed), sink, signal, sleep, log, now: o.now, restart: o.restart, classify: fromCcxtError,
          run: async () => {
            if (o.watchdog === undefined) return run(sink, undefined);
            const fresh = createFreshness();
            const runSink = freshnessSink(sink, fresh, o.now);
            try {
              return await run(runSink, { staleAfterMs: staleAfterMs(o.watchdog, feed), restartAfterMs: o.watchdog.restartAfterMs, fresh, onStale: () => unwatch(feed) });
            } finally {
              runSink.close();
            }
          },
        }),
      );
    for (const a of o.assets) {
      for (const tf of o.timeframes) {
        const feed: Feed = { kind: 'bar', venue: a.venue, symbol: a.symbol, tf };
        supervise(feed, (runSink, watchdog) => {
          const f = barFeed(feed, runSink, signal);
          return runFeedLoop({ ...common, feed: feedName(feed), mode: f.mode, step: f.step, onFailure: f.reset, ...(watchdog !== undefined ? { watchdog } : {}) });
        });
      }
      if (o.trades) {
        const feed: Feed = { kind: 'trade', venue: a.venue, symbol: a.symbol };
        supervise(feed, async (runSink, watchdog) => {
          const f = tradeFeed(feed, runSink, signal);
          // Trades without an id counted since the last dead letter are dead-lettered when the run ends.
          const end = await runFeedLoop({ ...common, feed: feedName(feed), mode: f.mode, step: f.step, ...(watchdog !== undefined ? { watchdog } : {}) });
          await f.flush();
          return end;
        });
      }
      if (o.quotes) {
        const feed: Feed = { kind: 'quote', venue: a.venue, symbol: a.symbol };
        supervise(feed, (runSink, watchdog) => {
          const f = quoteFeed(feed, runSink, signal);
          return runFeedLoop({ ...common, feed: feedName(feed), mode: f.mode, step: f.step, ...(watchdog !== undefined ? { watchdog } : {}) });
        });
      }
    }
    return out;
  };

  /**
   * Drops a stale feed's websocket subscription (ccxt's `unWatch…`, where the venue has it): its
   * pending watch call is rejected, and the restarted run's watch subscribes anew instead of waiting
   * on the same silent subscription. Bounded; a failure leaves the restart to go on without it.
   */
  const unwatch = async (feed: Feed): Promise<void> => {
    const call =
      feed.kind === 'bar'
        ? watches('unWatchOHLCV') && watches('watchOHLCV') ? () => ex.unWatchOHLCV(feed.symbol, feed.tf) : undefined
        : feed.kind === 'trade'
          ? watches('unWatchTrades') && watches('watchTrades') ? () => ex.unWatchTrades(feed.symbol, { ...(o.watchParams?.trades ?? {}) }) : undefined
          : watches('unWatchTicker') && watches('watchTicker') ? () => ex.unWatchTicker(feed.symbol, { ...(o.watchParams?.ticker ?? {}) }) : undefined;
    if (call === undefined) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((resolve) => void (timer = setTimeout(resolve, UNWATCH_TIMEOUT_MS)));
    try {
      await Promise.race([call(), timeout]);
    } catch (e) {
      log.warn({ feed: feedName(feed), err: e instanceof Error ? e.message : String(e) }, 'could not unsubscribe the stale feed; restarting it anyway');
    } finally {
      clearTimeout(timer);
    }
  };

  function barFeed(feed: Feed & { kind: 'bar' }, sink: FeedSink, signal: AbortSignal) {
    const tfMs = TIMEFRAME_MS[feed.tf];
    const live = watches('watchOHLCV');
    /** The newest bar seen, not yet closed. */
    let open: Candle | undefined;
    const refusedStale = new Set<number>();
    const candidate = (c: Candle) => barCandidate(feed.venue, feed.symbol, feed.tf, c, o.now());

    /** Publishes the closed bars in [from, until) from REST, page by page. */
    const backfill = async (from: number, until: number): Promise<void> => {
      let cursor = from;
      let published = 0;
      /**
       * Open times in [from, until) the venue answered a bar for that the sink took (published, or
       * skipped: the stream holds it already). A bar it refused (to the DLQ) fills nothing.
       */
      const answered = new Set<number>();
      /** Open times in [from, until) whose answered bar the sink refused. */
      const refused = new Set<number>();
      while (cursor < until && !signal.aborted) {
        const page: OHLCV[] = await ex.fetchOHLCV(feed.symbol, feed.tf, cursor, o.pageLimit);
        for (const c of page) {
          const ts = c[0];
          if (ts === undefined || ts < cursor || ts >= until) continue;
          const v = await sink.offer(feed, candidate(c), 'backfill');
          if (v.type === 'refused') {
            refused.add(ts);
            continue;
          }
          answered.add(ts);
          if (v.type === 'published') published++;
        }
        const last = page.at(-1)?.[0];
        if (last === undefined || last < cursor) break; // the venue has nothing more
        cursor = last + tfMs;
      }
      sink.status({ type: 'backfilled', feed: feedName(feed), from, to: until, published });
      const missing = signal.aborted ? 0 : Math.ceil((until - from) / tfMs) - answered.size;
      if (missing > 0) reportGap(log, sink, feed, { source: "the venue's REST API", from, to: until, missing, refused: [...refused].filter((ts) => !answered.has(ts)).length });
    };

    const apply = async (batch: readonly Candle[], origin: 'live' | 'poll'): Promise<void> => {
      const hw = (await sink.highWater(feed))?.ts;
      const sorted = [...batch].sort((x, y) => (x[0] ?? 0) - (y[0] ?? 0));
      /** With nothing stored yet, history starts `backfillBars` before the newest bar seen. */
      const firstStart = (sorted.at(-1)?.[0] ?? 0) - o.backfillBars * tfMs;
      for (const c of sorted) {
        const ts = c[0];
        if (ts === undefined || !Number.isInteger(ts)) {
          await sink.refuse(feed, candidate(c), RefusalReason.SCHEMA, 'bar without an open time');
          continue;
        }
        if (open !== undefined && ts === open[0]) {
          open = c;
          continue;
        }
        const behind = open !== undefined ? ts < (open[0] ?? 0) : hw !== undefined && ts <= hw;
        if (behind) {
          // ccxt hands a stale candle over again with later updates: refused once.
          if (origin === 'live' && !refusedStale.has(ts)) {
            if (refusedStale.size >= 1024) refusedStale.clear();
            refusedStale.add(ts);
            await sink.refuse(feed, candidate(c), RefusalReason.OUT_OF_ORDER, `bar ${ts} arrived after bar ${open?.[0] ?? hw}`);
          }
          continue;
        }
        const expected = open !== undefined ? (open[0] ?? 0) + tfMs : hw !== undefined ? hw + tfMs : undefined;
        if (expected !== undefined && ts === expected && open !== undefined) {
          const v = await sink.offer(feed, candidate(open), origin);
          // A refused live bar leaves no hole: the venue's REST copy is fetched instead.
          if (v.type === 'refused') await backfill(ts - tfMs, ts);
        } else if (expected === undefined || ts > expected) {
          // First start, a resync or missed updates: the closed bars before this one come from REST
          // (the partly seen open bar too: its last update may not have been the final one).
          await backfill(open?.[0] ?? (hw !== undefined ? hw + tfMs : Math.min(firstStart, ts)), ts);
        }
        open = c;
      }
    };

    return {
      mode: live ? ('watch' as const) : ('poll' as const),
      reset: () => void (open = undefined),
      step: async (): Promise<void> => {
        if (live) {
          const returned = await watched(ex.watchOHLCV(feed.symbol, feed.tf));
          // ccxt returns the last n candles of its cache, n = how many it updated since the last
          // call. A stale candle is appended at the end of that cache, where it would hide the
          // open bar's updates from then on: the cached candles from the open bar on are added.
          const cached = cachedCandles(ex, feed.symbol, feed.tf);
          const from = open?.[0];
          const merged = new Map<number | undefined, Candle>();
          for (const c of returned) merged.set(c[0], c);
          if (from !== undefined && cached !== undefined) for (const c of cached) if ((c[0] ?? -1) >= from) merged.set(c[0], c);
          await apply([...merged.values()], 'live');
        } else {
          await apply(await ex.fetchOHLCV(feed.symbol, feed.tf, undefined, Math.min(o.pageLimit, 3)), 'poll');
          await sleep(o.pollMs, signal);
        }
      },
    };
  }

  function tradeFeed(feed: Feed, sink: FeedSink, signal: AbortSignal) {
    const live = watches('watchTrades');
    const candidate = (t: Trade) => tradeCandidate(feed.venue, feed.symbol, tradeFields(t), o.now());

    /**
     * Trades without an id are refused (an id made of nothing would be the same for all of them)
     * but not one dead letter each: the first, then one per {@link IDLESS_DEAD_LETTER_MS} of event
     * time and one when the feed ends, each standing for the refusals since the previous one
     * (itself included), so the counts in the dead letters add up to every refusal (a polled trade
     * seen by two polls is refused twice).
     */
    const idless = { count: 0, letterTs: undefined as number | undefined, newest: undefined as Candidate | undefined };
    const deadLetterIdless = async (c: Candidate): Promise<void> => {
      const n = idless.count;
      const detail = `trade without an id: the venue sent none; this dead letter stands for ${n} such trade${n === 1 ? '' : 's'} of ${feedName(feed)} refused since the previous one (one a minute of event time), itself the newest`;
      await sink.refuse(feed, c, RefusalReason.SCHEMA, detail);
      idless.count -= n; // only once written: a failed dead letter leaves its count to the next one
    };
    const refuseIdless = async (t: Trade): Promise<void> => {
      const c = candidate(t);
      idless.count++;
      idless.newest = c;
      const ts = t.timestamp;
      const finite = ts !== undefined && Number.isFinite(ts);
      if (idless.letterTs !== undefined && !(finite && ts >= idless.letterTs + IDLESS_DEAD_LETTER_MS)) return;
      if (finite) idless.letterTs = ts;
      await deadLetterIdless(c);
    };
    /** Offers `t` to the sink, or refuses it when it has no id; true when it was published. */
    const offer = async (t: Trade, origin: Origin): Promise<boolean> => {
      if (t.id !== undefined && t.id !== '') return (await sink.offer(feed, candidate(t), origin)).type === 'published';
      await refuseIdless(t);
      return false;
    };

    /**
     * The longest page the venue has answered this feed's backfill with: a lower bound of its page
     * cap, which may be below `pageLimit` (a venue answers at most its own cap, whatever is asked).
     */
    let longestPage = 0;

    /**
     * Publishes trades from `from` to `until` (inclusive) from REST, in windows the venue accepts.
     * The venue's page cap is not known (it may be below `pageLimit`), so no page is taken for the
     * last one by its length: paging goes on while pages bring trades newer than the cursor. A
     * page goes on from the trade after its last one by id where the venue pages by id (until a
     * page by id is empty or brings no later id); elsewhere from its last millisecond (the sink
     * knows the ids it published there), and a window ends with a page that brings nothing newer
     * than the cursor. A page all in the cursor's millisecond as long as the longest page seen may
     * have been cut by the venue's cap and cannot go on by time: what it may have left of that
     * millisecond is reported (`truncated`), never skipped silently.
     */
    const backfill = async (from: number, until: number): Promise<void> => {
      let cursor = from;
      let nextId: string | undefined;
      let published = 0;
      while (cursor <= until && !signal.aborted) {
        const end = Math.min(cursor + TRADE_WINDOW_MS - 1, until);
        const byId = idParam !== false && nextId !== undefined;
        const page: Trade[] = byId
          ? await ex.fetchTrades(feed.symbol, undefined, o.pageLimit, { [idParam]: nextId })
          : await ex.fetchTrades(feed.symbol, cursor, o.pageLimit, { until: end });
        for (const t of page) {
          if (t.timestamp === undefined || t.timestamp > until) continue;
          if (await offer(t, 'backfill')) published++;
        }
        longestPage = Math.max(longestPage, page.length);
        const last = page.at(-1);
        const lastTs = last?.timestamp;
        if (lastTs === undefined) {
          if (byId) break; // paging by id reached the venue's newest trade
          cursor = end + 1; // nothing (more) in this window
          continue;
        }
        if (idParam !== false && last?.id !== undefined && NUMERIC_ID.test(last.id)) {
          // A page by id that brings no later id (a venue ignoring the param) would repeat forever.
          if (byId && Number(last.id) < Number(nextId)) break;
          nextId = String(Number(last.id) + 1);
          cursor = Math.max(lastTs, cursor);
          continue;
        }
        nextId = undefined;
        if (lastTs > cursor) {
          cursor = lastTs;
        } else if (lastTs === cursor && page.length >= longestPage) {
          const detail = `the venue holds more trades than a page (${page.length}) in millisecond ${lastTs} and cannot page by trade id: the rest of that millisecond is not fetched`;
          log.warn({ feed: feedName(feed), ts: lastTs, fetched: page.length }, detail);
          sink.status({ type: 'truncated', feed: feedName(feed), ts: lastTs, fetched: page.length, detail });
          cursor = lastTs + 1;
        } else {
          cursor = end + 1; // nothing newer than the cursor, in a page the venue's cap did not cut: the window is read
        }
      }
      sink.status({ type: 'backfilled', feed: feedName(feed), from, to: until, published });
    };

    return {
      mode: live ? ('watch' as const) : ('poll' as const),
      step: async (resync: boolean): Promise<void> => {
        const batch: Trade[] = live
          ? await watched(ex.watchTrades(feed.symbol, undefined, undefined, { ...(o.watchParams?.trades ?? {}) }))
          : await ex.fetchTrades(feed.symbol, undefined, o.pageLimit);
        const first = batch.find((t) => t.timestamp !== undefined)?.timestamp;
        // Polling resyncs on every page: a page that starts after the mark means trades were missed.
        if ((resync || !live) && first !== undefined) {
          const hw = await sink.highWater(feed);
          // Nothing stored yet (first start): no gap to close, and trades from before the gateway ran
          // are nobody's input (README, live market data); the stream starts at the first live trade.
          if (hw !== undefined && first > hw.ts) await backfill(hw.ts, first);
        }
        // The first batch after a resync overlaps the backfill that just ran up to it: not a venue fault.
        const origin = !live ? 'poll' : resync ? 'backfill' : 'live';
        for (const t of batch) await offer(t, origin);
        if (!live) await sleep(o.pollMs, signal);
      },
      flush: async (): Promise<void> => {
        if (idless.count === 0 || idless.newest === undefined) return;
        await deadLetterIdless(idless.newest).catch((e: unknown) =>
          log.error({ feed: feedName(feed), err: String(e), refused: idless.count }, 'trades without an id refused but not dead-lettered'),
        );
      },
    };
  }

  function quoteFeed(feed: Feed, sink: FeedSink, signal: AbortSignal) {
    const live = watches('watchTicker');
    const candidate = (t: Ticker) =>
      quoteCandidate(feed.venue, feed.symbol, { ts: t.timestamp ?? o.now(), bid: t.bid, bidSize: t.bidVolume, ask: t.ask, askSize: t.askVolume }, o.now());
    return {
      mode: live ? ('watch' as const) : ('poll' as const),
      step: async (): Promise<void> => {
        if (live) {
          await sink.offer(feed, candidate(await watched(ex.watchTicker(feed.symbol, { ...(o.watchParams?.ticker ?? {}) }))), 'live');
        } else {
          await sink.offer(feed, candidate(await ex.fetchTicker(feed.symbol)), 'poll');
          await sleep(o.pollMs, signal);
        }
      },
    };
  }

  return {
    provider: `ccxt:${ex.id}`,
    async run(sink, signal) {
      const onAbort = (): void => void ex.close().catch(() => {});
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        await Promise.all(loops(sink, signal));
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
    },
    close: async () => {
      await ex.close();
    },
  };
}
