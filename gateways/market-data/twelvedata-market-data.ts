import { z } from 'zod';
import type { Timeframe } from '../../streams/messages/bar.js';
import { TIMEFRAME_MS } from '../../streams/messages/bar.js';
import type { Logger } from '../../state/logger.js';
import { silentLogger } from '../../state/logger.js';
import type { BackoffPolicy, Sleep } from './backoff.js';
import { realSleep } from './backoff.js';
import type { Candle } from './candidates.js';
import { barCandidate } from './candidates.js';
import { fromHttpStatus, GatewayError, GatewayErrorCode, programmingError } from './errors.js';
import { requestSpacer } from './request-spacer.js';
import { createVenueHold, readRetryAfter } from './retry-after.js';
import { runFeedLoop } from './feed-loop.js';
import type { FeedLoopEnd } from './feed-loop.js';
import { superviseFeed } from './feed-supervisor.js';
import type { RestartPolicy } from './feed-supervisor.js';
import type { Feed, FeedSink, MarketDataSource } from './market-data-source.js';
import { feedName } from './market-data-source.js';
import { reportGap } from './gap-status.js';
import type { TradingHours } from './trading-hours.js';
import { tradingHoursOverlap } from './trading-hours.js';

export type TwelveDataOptions = Readonly<{
  /** API root, e.g. `https://api.twelvedata.com`. */
  baseUrl: string;
  apiKey: string;
  assets: ReadonlyArray<Readonly<{ venue: string; symbol: string }>>;
  /** Our symbol → the vendor's (`BTC/USDT` → `BTC/USD`); unmapped symbols are sent as they are. */
  symbolMap?: Readonly<Record<string, string>>;
  /**
   * Our symbol → when its market trades (a stock, an ETF, forex, an index). The vendor has no bar
   * while the market is closed: intervals wholly outside these hours are not a gap. A symbol not
   * named trades around the clock (crypto): every interval without a bar is a gap.
   */
  tradingHours?: Readonly<Record<string, TradingHours>>;
  timeframes: readonly Timeframe[];
  pollMs: number;
  /** Bars fetched when the stream holds none of a feed yet. */
  backfillBars: number;
  /** Rows asked for per request at most: the vendor's maximum (5000) unless set lower. */
  pageSize?: number;
  backoff: BackoffPolicy;
  /** `marketData.restart`: a feed that failed is started again with this backoff; undefined, it stays `failed`. */
  restart?: RestartPolicy;
  /**
   * The plan's request budget: requests of all feeds together are spaced `60_000 / n` ms apart
   * (TwelveData counts credits per minute; its free plan allows 8). Unset: no spacing, and a 429
   * is retried with backoff.
   */
  requestsPerMinute?: number;
  now: () => number;
  /** Wall clock (ms) an HTTP-date `Retry-After` is read against and the hold runs on: `Date.now` unless a test sets it. */
  wallClock?: () => number;
  /** The longest `Retry-After` honoured (`marketData.maxRetryAfterMs`): `DEFAULT_MAX_RETRY_AFTER_MS` (4 days) unless set. */
  maxRetryAfterMs?: number;
  /**
   * How long a request may take, answer body included, before it is given up and retried
   * (`NETWORK`): 30 s unless set. Without it, a vendor that accepts a request and never answers
   * stalled the feed for good, with no status, and held up the gateway's stop.
   */
  timeoutMs?: number;
  sleep?: Sleep;
  log?: Logger;
  fetch?: typeof fetch;
}>;

const DEFAULT_TIMEOUT_MS = 30_000;

const INTERVAL: Readonly<Record<Timeframe, string>> = { '1m': '1min', '5m': '5min', '15m': '15min', '1h': '1h', '4h': '4h', '1d': '1day' };
const MAX_OUTPUT = 5000;
/** Statuses (HTTP or the payload's code) whose `Retry-After` is waited out: rate limited, banned, unavailable (RFC 9110 §10.2.3). */
const RETRY_AFTER_STATUSES: ReadonlySet<number> = new Set([429, 418, 503]);

const ValueSchema = z.object({ datetime: z.string(), open: z.string(), high: z.string(), low: z.string(), close: z.string(), volume: z.string().optional() });
const OkSchema = z.object({ status: z.literal('ok'), values: z.array(ValueSchema) });
const ErrorSchema = z.object({ status: z.literal('error'), code: z.number(), message: z.string() });
/**
 * The vendor's answer (code 400, with a 200 or a 400) to a range that holds no bar: a weekend or a
 * holiday of a market that closes, a symbol whose history starts after the date asked. Nothing to
 * publish yet, not a refusal: an empty page.
 */
const NO_DATA = /no data is available on the specified dates/i;

/** `2024-01-02 13:00:00` or `2024-01-02` (asked in UTC) → epoch ms. */
export const parseVendorTime = (s: string): number => Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(s) ? `${s}T00:00:00Z` : `${s.replace(' ', 'T')}Z`);
const vendorTime = (ms: number): string => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');

/** A turn of the request spacer given up: a hold began while the request waited for it. */
const HELD = Symbol('held');

/**
 * Bars from a REST-only vendor in the style of TwelveData: `GET /time_series?symbol=…&interval=…
 * &start_date=…&apikey=…&timezone=UTC&order=asc` answering `{ status: 'ok', values: [{ datetime,
 * open, high, low, close, volume }] }` or `{ status: 'error', code, message }`. Polls each feed
 * every `pollMs` from its high-water mark; the newest bar of an answer may still be open, so only
 * bars with a later bar after them are published. Intervals from the high-water mark up to the
 * newest row that got no bar (the vendor has none, or the sink refused it), outside a closed market's
 * hours (`tradingHours`), are a `gap` status, and a
 * poll that read more than the one bar closed since the last (the first start's history, an outage,
 * a hole) a `backfilled` status before it, as on the ccxt feeds. Messages carry the configured asset's venue: the engine cannot tell this
 * provider from a websocket one.
 */
export function createTwelveDataMarketData(o: TwelveDataOptions): MarketDataSource {
  const log = o.log ?? silentLogger;
  const sleep = o.sleep ?? realSleep;
  const doFetch = o.fetch ?? fetch;
  /** Every feed's requests, spaced by the plan's budget (the spacer calls fetch at each turn). */
  const turn = o.requestsPerMinute === undefined ? undefined : requestSpacer(60_000 / o.requestsPerMinute);

  const wallClock = o.wallClock ?? Date.now;
  /** Every feed's requests wait out the vendor's `Retry-After` (see {@link failure}). */
  const hold = createVenueHold(() => new GatewayError(GatewayErrorCode.NETWORK, 'stopped while holding off until the vendor\'s Retry-After'), wallClock);

  const timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;

  /**
   * Sends a GET once no hold is on and the spacer gives the turn, and reads its answer. The request
   * is aborted when the feed stops (`signal`) or after `timeoutMs`, waiting for its turn excluded.
   */
  const send = async (u: URL, what: string, signal: AbortSignal): Promise<{ res: Response; text: string }> => {
    for (;;) {
      await hold.wait(signal);
      if (signal.aborted) throw new GatewayError(GatewayErrorCode.NETWORK, 'stopped');
      const timeout = new AbortController();
      let timer: NodeJS.Timeout | undefined;
      // A hold that began while this request waited for its turn is waited out before sending.
      const go = (): Promise<{ res: Response; text: string }> | typeof HELD => {
        if (hold.remainingMs() > 0) return HELD;
        timer = setTimeout(() => timeout.abort(), timeoutMs);
        const abort = AbortSignal.any([signal, timeout.signal]);
        return doFetch(u, { signal: abort }).then(async (res) => ({ res, text: await res.text() }));
      };
      try {
        const sent = turn === undefined ? go() : await turn(go, signal);
        if (sent === undefined) throw new GatewayError(GatewayErrorCode.NETWORK, 'stopped');
        if (sent !== HELD) return await sent;
      } catch (e) {
        if (e instanceof GatewayError) throw e;
        if (signal.aborted) throw new GatewayError(GatewayErrorCode.NETWORK, 'stopped', { cause: e });
        if (timeout.signal.aborted) throw new GatewayError(GatewayErrorCode.NETWORK, `${what}: no answer in ${timeoutMs} ms`, { cause: e });
        throw new GatewayError(GatewayErrorCode.NETWORK, `${what}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      } finally {
        clearTimeout(timer);
      }
    }
  };

  /**
   * The error of a refused request (`code`: the HTTP status or the payload's code). A rate limit
   * (429, as an HTTP status or as the payload's code with a 200), a ban (418) or an outage (503)
   * with `Retry-After` holds every feed's requests until then, and the error carries the wait
   * (`retryAfterMs`), which the feed's backoff takes as its floor, as on the ccxt venues: asking
   * sooner only spends more credits.
   */
  const failure = (res: Response, code: number, message: string): GatewayError => {
    const raw = res.headers.get('retry-after') ?? undefined;
    const waits = RETRY_AFTER_STATUSES.has(code) || RETRY_AFTER_STATUSES.has(res.status);
    const wait = waits ? readRetryAfter(raw, wallClock(), o.maxRetryAfterMs) : undefined;
    const plain = fromHttpStatus(code, message);
    if (wait === undefined || !plain.retryable) return plain;
    const what = code === 429 || res.status === 429 ? 'rate limited' : code === 418 || res.status === 418 ? 'banned' : 'unavailable';
    const e = fromHttpStatus(code, `${message}: ${what} for ${wait.shown}`, { retryAfterMs: wait.ms });
    hold.holdFor(wait.ms, { code: e.code, reason: e.message });
    return e;
  };

  /** Each symbol with trading hours: whether an interval falls (partly) in them. */
  const trading = new Map(Object.entries(o.tradingHours ?? {}).map(([symbol, h]) => [symbol, tradingHoursOverlap(h)] as const));

  const maxOutput = Math.max(2, Math.min(MAX_OUTPUT, o.pageSize ?? MAX_OUTPUT));

  /** Rows of `symbol` from `startMs` (to `endMs`, inclusive), oldest first: the newest `size` of them when there are more. */
  const request = async (symbol: string, tf: Timeframe, startMs: number | undefined, size: number, signal: AbortSignal, endMs?: number): Promise<Candle[]> => {
    const u = new URL('time_series', o.baseUrl.endsWith('/') ? o.baseUrl : `${o.baseUrl}/`);
    u.searchParams.set('symbol', o.symbolMap?.[symbol] ?? symbol);
    u.searchParams.set('interval', INTERVAL[tf]);
    u.searchParams.set('outputsize', String(size));
    u.searchParams.set('timezone', 'UTC');
    u.searchParams.set('order', 'asc');
    if (startMs !== undefined) u.searchParams.set('start_date', vendorTime(startMs));
    if (endMs !== undefined) u.searchParams.set('end_date', vendorTime(endMs));
    u.searchParams.set('apikey', o.apiKey);
    // Every error names the vendor and what was asked: the feed's name carries the asset's venue, not the vendor.
    const where = `twelvedata GET ${u.pathname} (${o.symbolMap?.[symbol] ?? symbol} ${tf})`;
    const { res, text } = await send(u, where, signal);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      if (!res.ok) throw failure(res, res.status, `${where}: HTTP ${res.status}`);
      throw new GatewayError(GatewayErrorCode.BAD_RESPONSE, `${where}: not JSON: ${text.slice(0, 200)}`);
    }
    const err = ErrorSchema.safeParse(body);
    const said = err.success ? `${err.data.code} ${err.data.message}` : undefined;
    // A transient transport status (a 5xx, a timeout, a rate limit) wins over the body: a failing
    // backend or its proxy may send any payload code with it, and one taken for a refusal (a 503
    // whose body says 400) stopped the feed for good. Otherwise the payload's code decides: the
    // vendor answers its errors with a 200 too.
    if (fromHttpStatus(res.status, '').retryable) throw failure(res, res.status, said === undefined ? `${where}: HTTP ${res.status}` : `${where}: HTTP ${res.status}: ${said}`);
    // An empty range is an empty page (the poll waits for the next bar, a backfill moves on); every other 400 stops the feed.
    if (err.success && err.data.code === 400 && (res.ok || res.status === 400) && NO_DATA.test(err.data.message)) return [];
    if (err.success) throw failure(res, err.data.code, `${where}: ${said ?? ''}`);
    if (!res.ok) throw failure(res, res.status, `${where}: HTTP ${res.status}`);
    const ok = OkSchema.safeParse(body);
    // Well-formed JSON of another shape is the vendor's API changing under us: retrying cannot help.
    if (!ok.success) throw new GatewayError(GatewayErrorCode.EXCHANGE, `${where}: unexpected answer: ${ok.error.issues[0]?.message ?? ''}`);
    return ok.data.values
      .map((v): Candle => [parseVendorTime(v.datetime), Number(v.open), Number(v.high), Number(v.low), Number(v.close), v.volume === undefined ? 0 : Number(v.volume)])
      .sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0));
  };

  /**
   * Every row from `startMs` on, oldest first. The vendor answers a range holding more rows than
   * `outputsize` with its newest ones (the older are cut, not the newer), so a full page is
   * completed backward: the rows from `startMs` to just before its first row, page by page.
   */
  const rowsFrom = async (feed: Feed & { kind: 'bar' }, startMs: number, signal: AbortSignal): Promise<Candle[]> => {
    const pages: Candle[][] = [];
    let endMs: number | undefined;
    for (;;) {
      const rows = await request(feed.symbol, feed.tf, startMs, maxOutput, signal, endMs);
      pages.unshift(rows);
      const first = rows[0]?.[0];
      if (rows.length < maxOutput || first === undefined || first <= startMs) break;
      endMs = first - 1_000; // the vendor's times are whole seconds: up to just before `first`
    }
    const byTs = new Map<number | undefined, Candle>();
    for (const c of pages.flat()) byTs.set(c[0], c);
    return [...byTs.values()];
  };

  /**
   * Says which of the `tf` intervals in [from, to) the stream did not get: the vendor answered no
   * row for them (a range it answered "No data is available" for, or bars absent between two it
   * returned: bars the vendor lacks) or a row the sink refused to the DLQ (a malformed bar);
   * intervals outside the symbol's `tradingHours` (the market closed) are left out. `reportGap`
   * says it as the ccxt feed does.
   */
  const checkGap = (feed: Feed & { kind: 'bar' }, sink: FeedSink, from: number, to: number, taken: ReadonlySet<number>, refused: ReadonlySet<number>): void => {
    const tfMs = TIMEFRAME_MS[feed.tf];
    const open = trading.get(feed.symbol);
    // An interval wholly in the market's closed hours has no bar by design: neither expected nor a hole.
    const traded = (ts: number): boolean => open === undefined || open(ts, ts + tfMs);
    const inRange = (ts: number): boolean => ts >= from && ts < to && traded(ts);
    const answered = [...taken].filter(inRange);
    let expected = 0;
    for (let ts = from; ts < to; ts += tfMs) if (traded(ts)) expected += 1;
    const missing = Math.max(0, expected - answered.length);
    if (missing === 0) return;
    reportGap(log, sink, feed, { source: 'twelvedata', from, to, missing, refused: Math.min(missing, [...refused].filter((ts) => inRange(ts) && !taken.has(ts)).length) });
  };

  /**
   * `checkedTo`: the intervals before it were checked for a gap already. A hole followed by the open
   * bar only is seen by every poll until that bar closes (the high-water mark stays before the
   * hole): it is reported once.
   */
  const poll = async (feed: Feed & { kind: 'bar' }, sink: FeedSink, seen: { checkedTo?: number }, signal: AbortSignal): Promise<void> => {
    const tfMs = TIMEFRAME_MS[feed.tf];
    for (;;) {
      const hw = (await sink.highWater(feed))?.ts;
      // At least two rows: the newest may be the open bar, so one row alone publishes nothing
      // (with backfillBars 0, a page of one looped at once, forever).
      const size = hw !== undefined ? maxOutput : Math.min(maxOutput, Math.max(2, o.backfillBars + 1));
      const rows = hw !== undefined ? await rowsFrom(feed, hw + tfMs, signal) : await request(feed.symbol, feed.tf, undefined, size, signal);
      /** Open times of the rows the sink took (published, or held already), of those it published and of those it refused. */
      const taken = new Set<number>();
      const published = new Set<number>();
      const refused = new Set<number>();
      // The newest row may be the open bar: it is published once a later one exists.
      for (const c of rows.slice(0, -1)) {
        const v = await sink.offer(feed, barCandidate(feed.venue, feed.symbol, feed.tf, c, o.now()), 'poll');
        if (c[0] === undefined) continue;
        (v.type === 'refused' ? refused : taken).add(c[0]);
        if (v.type === 'published') published.add(c[0]);
      }
      // Every interval from the high-water mark (on first start, the oldest row) up to the newest
      // row should have a bar: the vendor's rows skip the ones it has none for.
      const newest = rows.at(-1)?.[0];
      const first = hw !== undefined ? hw + tfMs : rows[0]?.[0];
      if (newest !== undefined && first !== undefined && !signal.aborted) {
        const from = Math.max(first, seen.checkedTo ?? first);
        // More than the one bar that closed since the last poll (the first start's history, an
        // outage, a hole) was read: a backfill, said as the ccxt feed says its own.
        if (newest > from && (hw === undefined || newest - from > tfMs)) {
          sink.status({ type: 'backfilled', feed: feedName(feed), from, to: newest, published: [...published].filter((ts) => ts >= from && ts < newest).length });
        }
        checkGap(feed, sink, from, newest, taken, refused);
        seen.checkedTo = Math.max(seen.checkedTo ?? newest, newest);
      }
      if (rows.length < size || rows.length <= 1) return; // caught up; a full page means more to fetch
    }
  };

  return {
    provider: 'twelvedata',
    async run(sink, signal) {
      const loops: Promise<void>[] = [];
      for (const a of o.assets) {
        for (const tf of o.timeframes) {
          const feed = { kind: 'bar', venue: a.venue, symbol: a.symbol, tf } as const;
          // A bug of ours (a TypeError in the parsing) is INTERNAL: failed and restarted, not retried for ever.
          const classify = (e: unknown): GatewayError => (e instanceof GatewayError ? e : (programmingError(e) ?? new GatewayError(GatewayErrorCode.NETWORK, String(e), { cause: e })));
          // Each run afresh: a restarted feed (marketData.restart) checks for gaps from its high-water mark.
          const run = (): Promise<FeedLoopEnd> => {
            const seen: { checkedTo?: number } = {};
            return runFeedLoop({
              feed: feedName(feed), mode: 'poll', sink, signal, sleep, backoff: o.backoff, log, now: wallClock, classify,
              step: async () => {
                await poll(feed, sink, seen, signal);
                await sleep(o.pollMs, signal);
              },
            });
          };
          loops.push(superviseFeed({ feed: feedName(feed), sink, signal, sleep, log, now: wallClock, restart: o.restart, classify, run }));
        }
      }
      await Promise.all(loops);
    },
    close: async () => {},
  };
}
