import type { Timeframe } from '../../streams/messages/bar.js';
import type { RefusalReason } from '../../streams/messages/dlq-entry.js';
import type { GatewayErrorCode } from './errors.js';

/**
 * The market-data port: a provider (ccxt venue, REST vendor) turns an outside API into candidate
 * messages and hands them to a {@link FeedSink}, which validates, deduplicates and publishes them.
 * Nothing downstream knows which provider ran: messages carry the configured asset's venue.
 */

/** One stream of one asset: its bars of a timeframe, its trades or its quotes. */
export type Feed =
  | Readonly<{ kind: 'bar'; venue: string; symbol: string; tf: Timeframe }>
  | Readonly<{ kind: 'trade'; venue: string; symbol: string }>
  | Readonly<{ kind: 'quote'; venue: string; symbol: string }>;

export const feedName = (f: Feed): string => (f.kind === 'bar' ? `${f.venue} ${f.symbol} bar ${f.tf}` : `${f.venue} ${f.symbol} ${f.kind}`);

/**
 * Where a candidate came from. `live` (websocket push) is held to order: anything at or behind
 * the feed's high-water mark is refused to the DLQ. `backfill` and `poll` overlap what was
 * published on purpose, so what is behind the mark is skipped silently.
 */
export type Origin = 'live' | 'backfill' | 'poll';

/** What became of a candidate. */
export type Verdict =
  | Readonly<{ type: 'published'; duplicate: boolean }>
  | Readonly<{ type: 'skipped' }>
  | Readonly<{ type: 'refused'; reason: RefusalReason; detail: string }>;

/** The newest published position of a feed: event time and, for trades, the venue's trade id. */
export type HighWater = Readonly<{ ts: number; tradeId?: string }>;

/** Status travels apart from data (as the Bus's does); the CLI logs it, tests assert on it. */
export type GatewayStatus =
  | Readonly<{ type: 'connected'; feed: string; mode: 'watch' | 'poll' }>
  /**
   * A websocket feed's subscription is established (the venue's websocket open, the subscription
   * sent, no refusal within `marketData.subscribedAfterMs`) but nothing came yet: a quiet symbol.
   * Ready; `connected` follows its first message, the watchdog judges its silence.
   */
  | Readonly<{ type: 'subscribed'; feed: string }>
  | Readonly<{ type: 'disconnected'; feed: string; error: string }>
  | Readonly<{ type: 'retrying'; feed: string; attempt: number; delayMs: number; code: GatewayErrorCode; error: string }>
  /**
   * A request of the feed waits in the venue's hold: another feed's request was answered 418/429
   * (or 503) with `Retry-After`, and nothing is sent to the venue for `delayMs` more, until
   * `retryAt` (ms, the feed's clock). `error` is that answer's message. Said again when the hold is
   * lengthened; `connected` follows the first step that gets through.
   */
  | Readonly<{ type: 'held'; feed: string; delayMs: number; retryAt: number; code: GatewayErrorCode; error: string }>
  /**
   * A REST backfill (ccxt), or a TwelveData poll that read more than the one bar closed since the
   * last (first start, an outage, a hole), read [from, to) and published `published` of it.
   */
  | Readonly<{ type: 'backfilled'; feed: string; from: number; to: number; published: number }>
  /** A backfill could not read millisecond `ts` to its end: the venue had more trades there than the `fetched` of a page. */
  | Readonly<{ type: 'truncated'; feed: string; ts: number; fetched: number; detail: string }>
  /**
   * A bar backfill (ccxt) or poll (TwelveData) ended with `missing` of the bars in [from, to) not in
   * the stream: never answered by the venue's REST API (an empty page, a page ccxt could not parse
   * into bars, a venue that has no bar for an interval without trades, TwelveData's "No data is
   * available" or bars absent between two it returned: a market closed then), or answered with a
   * bar the sink refused to the DLQ (a malformed bar). The stream has a hole there, said rather
   * than passed over.
   */
  | Readonly<{ type: 'gap'; feed: string; from: number; to: number; missing: number; detail: string }>
  | Readonly<{ type: 'refused'; feed: string; reason: RefusalReason; detail: string }>
  /**
   * The feed published nothing for `silentMs` (ms of the feed's clock), more than its watchdog's
   * `staleAfterMs` (`marketData.watchdog`: a bar's timeframe plus `barGraceMs`, trades' or quotes'
   * max silence), though no error was seen: a websocket up whose venue stopped pushing this stream.
   * `lastAt`: its last publish (or connection) in this run. Still silent at `restartAt`, it is
   * ended (`failed`, code `STALE`) and restarted; `connected` follows when it publishes again.
   */
  | Readonly<{ type: 'stale'; feed: string; silentMs: number; staleAfterMs: number; lastAt?: number; restartAt: number }>
  | Readonly<{ type: 'failed'; feed: string; code: GatewayErrorCode; error: string }>
  /**
   * A feed that failed (`failed`, just before) is started again afresh after `delayMs`, at `retryAt`
   * (ms, the feed's clock): `marketData.restart`'s backoff (`feed-supervisor.ts`). `attempt` counts
   * its restarts in a row (a run that stayed connected `restart.maxMs` starts the count over);
   * `code` and `error` are the failure's. The restarted feed resyncs from the stream's high-water
   * marks (`connected` once a step gets through), as after a dropped connection.
   */
  | Readonly<{ type: 'restarting'; feed: string; attempt: number; delayMs: number; retryAt: number; code: GatewayErrorCode; error: string }>
  | Readonly<{ type: 'stopped'; feed: string }>;

export type FeedSink = {
  /** The feed's high-water mark; on first use read from the newest message of its subject in the stream. */
  highWater(feed: Feed): Promise<HighWater | undefined>;
  /** Validates (zod), checks the high-water mark, publishes with `Nats-Msg-Id` = id; refusals go to `sx.dlq.gateway`. */
  offer(feed: Feed, candidate: Readonly<Record<string, unknown>>, origin: Origin): Promise<Verdict>;
  /** Refuses a candidate the source itself judged bad (e.g. an out-of-order bar update). */
  refuse(feed: Feed, candidate: Readonly<Record<string, unknown>>, reason: RefusalReason, detail: string): Promise<void>;
  status(s: GatewayStatus): void;
};

export type MarketDataSource = Readonly<{
  /** `ccxt:binance`, `twelvedata`: for logs only. */
  provider: string;
  /**
   * Runs every configured feed until `signal` aborts. A feed that fails permanently is restarted
   * with `marketData.restart`'s backoff; without a restart policy (a source built by hand) it stays
   * `failed`, and run ends once every feed has.
   */
  run(sink: FeedSink, signal: AbortSignal): Promise<void>;
  /** Releases connections. */
  close(): Promise<void>;
}>;
