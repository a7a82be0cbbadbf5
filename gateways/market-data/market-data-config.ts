import { z } from 'zod';
import { TimeframeSchema } from '../../streams/messages/bar.js';
import { DEFAULT_MAX_RETRY_AFTER_MS } from './retry-after.js';
import { TradingHoursSchema } from './trading-hours.js';

const httpUrl = z.string().refine(
  (s) => {
    try {
      return ['http:', 'https:'].includes(new URL(s).protocol);
    } catch {
      return false;
    }
  },
  { message: 'an http(s) URL' },
);
const wsUrl = z.string().refine(
  (s) => {
    try {
      return ['ws:', 'wss:'].includes(new URL(s).protocol);
    } catch {
      return false;
    }
  },
  { message: 'a ws(s) URL' },
);

/**
 * `marketData:` — the live market-data gateway (`sextant gateway`). Symbols are the configured
 * `assets`; messages carry each asset's venue whichever provider fetched them.
 */
export const MarketDataConfigSchema = z
  .object({
    /** `ccxt`: a ccxt venue (websocket where ccxt pro has one, REST polling otherwise); `twelvedata`: a REST-only bar vendor. */
    provider: z.enum(['ccxt', 'twelvedata']).default('ccxt'),
    /** ccxt exchange id (`binance`, `kraken`, …). */
    exchange: z.string().min(1).default('binance'),
    timeframes: z.array(TimeframeSchema).default(['1m', '1h']),
    trades: z.boolean().default(true),
    quotes: z.boolean().default(true),
    /** `auto`: websocket where the venue has it, REST polling otherwise; `poll`: always poll. */
    mode: z.enum(['auto', 'poll']).default('auto'),
    pollMs: z.number().int().positive().default(5000),
    /** Bars fetched on first start, when the stream holds none of a feed yet. */
    backfillBars: z.number().int().nonnegative().default(500),
    /** Rows per REST page of a backfill. */
    pageLimit: z.number().int().min(1).max(5000).default(1000),
    /** Retry delays double from `minMs` up to `maxMs`; a `maxMs` below `minMs` is refused (every retry waited `maxMs`, the floor silently ignored). */
    backoff: z
      .object({ minMs: z.number().int().positive(), maxMs: z.number().int().positive() })
      .strict()
      .refine((b) => b.maxMs >= b.minMs, { message: 'backoff.maxMs must be at least backoff.minMs', path: ['maxMs'] })
      .default({ minMs: 500, maxMs: 30_000 }),
    /**
     * A feed that failed for good (`failed`: an unknown symbol, a refused key or region, an error the
     * venue repeats) is started again after `minMs`, the delay doubling with each restart in a row up
     * to `maxMs` (a run that stayed connected `maxMs` starts over), said `restarting` with the
     * failure and when (`retryAt`). It ended for good, and the engine went on with stale data.
     */
    restart: z
      .object({ minMs: z.number().int().positive(), maxMs: z.number().int().positive() })
      .strict()
      .refine((b) => b.maxMs >= b.minMs, { message: 'restart.maxMs must be at least restart.minMs', path: ['maxMs'] })
      .default({ minMs: 10_000, maxMs: 600_000 }),
    /**
     * ccxt feeds' staleness watchdog: a feed that publishes nothing for longer than it should (a
     * websocket that stays up while the venue stops pushing one stream says nothing else) is said
     * `stale` (a warning; the gateway's /metrics and /healthz show it), and, still silent
     * `restartAfterMs` later, ended (`failed`, code `STALE`) and restarted with `restart`'s
     * backoff, subscribing anew. Bars: stale after one timeframe plus `barGraceMs` without a
     * closed bar; trades and quotes after their max silence (raise them for a quiet symbol). Counted
     * while the feed is asking the venue, not during a retry's backoff or a venue's hold.
     * TwelveData's polled bars have none (markets that close).
     */
    watchdog: z
      .object({
        enabled: z.boolean().default(true),
        barGraceMs: z.number().int().positive().default(60_000),
        tradeMaxSilenceMs: z.number().int().positive().default(300_000),
        quoteMaxSilenceMs: z.number().int().positive().default(120_000),
        restartAfterMs: z.number().int().positive().default(60_000),
      })
      .strict()
      .default({ enabled: true, barGraceMs: 60_000, tradeMaxSilenceMs: 300_000, quoteMaxSilenceMs: 120_000, restartAfterMs: 60_000 }),
    /**
     * A ccxt websocket feed still waiting for its first message this long after it subscribed,
     * with the venue's websocket open and no refusal, is said `subscribed`: ready (/readyz), though
     * a quiet symbol sent nothing yet (it read `starting`, /readyz 503, until its first trade).
     * Its silence stays the watchdog's to judge.
     */
    subscribedAfterMs: z.number().int().positive().default(2_000),
    /**
     * The `sextant gateway` process's own HTTP endpoint: `/metrics` (Prometheus: each feed's status
     * and restarts), `/healthz` (200; `status: degraded` with the feeds neither live nor
     * subscribed, `down` when every feed has failed) and `/readyz` (503 unless `ok`). Off: no listener.
     */
    http: z
      .object({ enabled: z.boolean().default(true), host: z.string().min(1).default('127.0.0.1'), port: z.number().int().min(0).max(65_535).default(9465) })
      .strict()
      .default({ enabled: true, host: '127.0.0.1', port: 9465 }),
    /**
     * Every feed's status is published on core NATS `<prefix>.mdstatus.<venue>.<sym>` (md.status v1)
     * on each change and again every `statusEveryMs` (the gateway's clock), so that an engine started
     * while a feed is down learns it within this; the engine takes a feed whose status is older than
     * 3× this for `unknown` (gateway silent).
     */
    statusEveryMs: z.number().int().min(1000).max(3_600_000).default(10_000),
    /**
     * The longest `Retry-After` (429, Binance's 418 IP ban, 503) the feeds and the venue's hold wait
     * before asking again; a longer one is cut to this, the message saying so. 4 days by default:
     * Binance's bans last up to 3 days, and a request during one may lengthen it.
     */
    maxRetryAfterMs: z.number().int().positive().default(DEFAULT_MAX_RETRY_AFTER_MS),
    /** Overrides of the provider's URLs: a proxy, a local test server. */
    urls: z.object({ rest: httpUrl.optional(), ws: wsUrl.optional() }).strict().default({}),
    /** Name of the environment variable holding the API key (never the key itself). */
    apiKeyEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/).default('SEXTANT_MARKET_DATA_API_KEY'),
    /** ccxt: milliseconds per unit of request weight, stricter than the venue's default (binance 50). */
    rateLimitMs: z.number().int().positive().optional(),
    /** twelvedata: the plan's requests a minute, shared by all feeds (free plan: 8); unset, only 429s slow it down. */
    requestsPerMinute: z.number().positive().optional(),
    /** ccxt exchange options (e.g. binance `fetchMarkets: { types: [spot] }`). */
    ccxtOptions: z.record(z.string(), z.unknown()).default({}),
    /** Extra params of ccxt's watch calls (binance: aggTrade trades, the full ticker for bid/ask). */
    watchParams: z
      .object({ trades: z.record(z.string(), z.unknown()).optional(), ticker: z.record(z.string(), z.unknown()).optional() })
      .strict()
      .default({}),
    /** Our symbol → the vendor's, for providers that spell them differently (`BTC/USDT: BTC/USD`). */
    symbolMap: z.record(z.string(), z.string()).default({}),
    /** twelvedata: our symbol → when its market trades (stocks, forex); intervals outside them without a bar are not a gap. */
    tradingHours: z.record(z.string(), TradingHoursSchema).default({}),
  })
  .strict();

export type MarketDataConfig = z.infer<typeof MarketDataConfigSchema>;

/** The TwelveData API root when `urls.rest` does not override it. */
export const TWELVEDATA_URL = 'https://api.twelvedata.com';
