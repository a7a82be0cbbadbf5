import type { Timeframe } from '../../streams/messages/bar.js';
import type { GatewayErrorCode } from './errors.js';
import type { Feed, GatewayStatus } from './market-data-source.js';
import { feedName } from './market-data-source.js';

/**
 * Where each feed of the market-data gateway stands, for operators (`sextant gateway`'s
 * /metrics and /healthz): `starting` until a first step gets through, `subscribed` a websocket
 * feed whose subscription stands but that received nothing yet (a quiet symbol), `live` while it delivers,
 * `retrying` a failure with backoff, `held` in the venue's Retry-After hold, `stale` silent past its
 * watchdog, `failed` / `restarting` ended and waiting for the supervisor's restart, `stopped`.
 */
export const FEED_STATES = ['starting', 'subscribed', 'live', 'retrying', 'held', 'stale', 'failed', 'restarting', 'stopped'] as const;
export type FeedState = (typeof FEED_STATES)[number];

/** The states a feed counts as ready in (/readyz): delivering, or subscribed and waiting for its first message (its silence is the watchdog's). */
export const READY_STATES: ReadonlySet<FeedState> = new Set<FeedState>(['live', 'subscribed']);

export type FeedStatusEntry = Readonly<{
  feed: string;
  venue: string;
  symbol: string;
  /** `bar 1m`, `trade`, `quote`. */
  stream: string;
  state: FeedState;
  /** The gateway's clock (ms) when it entered `state`. */
  since: number;
  /** The failure's code and message while not live (`retrying`, `held`, `failed`, `restarting`; `stale`: its silence). */
  code?: GatewayErrorCode;
  reason?: string;
  /** Retries (`retrying`) or restarts in a row (`restarting`). */
  attempt?: number;
  /** When the venue is next asked (`retrying`, `held`, `restarting`) or the stale feed restarted (`stale`), ms. */
  retryAt?: number;
  /** Restarts by the supervisor since the gateway started. */
  restarts: number;
}>;

export type FeedStatusBoard = Readonly<{
  apply(s: GatewayStatus): void;
  entries(): readonly FeedStatusEntry[];
  /** The feeds not ready: neither `live` nor `subscribed`. */
  down(): readonly FeedStatusEntry[];
  /**
   * The feeds that failed and have not connected since (waiting for, or in, a restart by the feed
   * supervisor: `failed`, `restarting`, or retrying or held within the restarted run).
   */
  failed(): readonly FeedStatusEntry[];
  /** Whether every feed has failed and none connected since: the gateway delivers nothing, its supervisor restarting them. */
  allFailed(): boolean;
}>;

/** The feeds `sextant gateway` runs for these assets: bars of each timeframe, and with ccxt trades and quotes where configured. */
export function configuredFeeds(
  md: Readonly<{ provider: 'ccxt' | 'twelvedata'; timeframes: readonly Timeframe[]; trades: boolean; quotes: boolean }>,
  assets: ReadonlyArray<Readonly<{ venue: string; symbol: string }>>,
): Feed[] {
  const out: Feed[] = [];
  for (const a of assets) {
    for (const tf of md.timeframes) out.push({ kind: 'bar', venue: a.venue, symbol: a.symbol, tf });
    if (md.provider === 'ccxt' && md.trades) out.push({ kind: 'trade', venue: a.venue, symbol: a.symbol });
    if (md.provider === 'ccxt' && md.quotes) out.push({ kind: 'quote', venue: a.venue, symbol: a.symbol });
  }
  return out;
}

/** Folds the gateway's status stream into one entry per feed. Statuses of a feed not listed are ignored. */
export function createFeedStatusBoard(feeds: readonly Feed[], now: () => number): FeedStatusBoard {
  const t0 = now();
  const board = new Map<string, FeedStatusEntry>();
  /** Feeds said `failed` and not `connected` since. */
  const failedFeeds = new Set<string>();
  for (const f of feeds) {
    const stream = f.kind === 'bar' ? `bar ${f.tf}` : f.kind;
    board.set(feedName(f), { feed: feedName(f), venue: f.venue, symbol: f.symbol, stream, state: 'starting', since: t0, restarts: 0 });
  }
  const set = (prev: FeedStatusEntry, state: FeedState, extra: Partial<Pick<FeedStatusEntry, 'code' | 'reason' | 'attempt' | 'retryAt' | 'restarts'>> = {}): FeedStatusEntry => ({
    feed: prev.feed,
    venue: prev.venue,
    symbol: prev.symbol,
    stream: prev.stream,
    state,
    since: prev.state === state ? prev.since : now(),
    restarts: prev.restarts,
    ...extra,
  });
  const next = (prev: FeedStatusEntry, s: GatewayStatus): FeedStatusEntry | undefined => {
    switch (s.type) {
      case 'connected':
        return set(prev, 'live');
      case 'subscribed':
        return set(prev, 'subscribed');
      case 'retrying':
        return set(prev, 'retrying', { code: s.code, reason: s.error, attempt: s.attempt, retryAt: now() + s.delayMs });
      case 'held':
        return set(prev, 'held', { code: s.code, reason: s.error, retryAt: s.retryAt });
      case 'stale':
        return set(prev, 'stale', { reason: `nothing published for ${s.silentMs} ms (stale after ${s.staleAfterMs} ms)`, retryAt: s.restartAt });
      case 'failed':
        return set(prev, 'failed', { code: s.code, reason: s.error });
      case 'restarting':
        return set(prev, 'restarting', { code: s.code, reason: s.error, attempt: s.attempt, retryAt: s.retryAt, restarts: prev.restarts + 1 });
      case 'stopped':
        return set(prev, 'stopped');
      default:
        // disconnected (a retrying follows), backfilled, gap, truncated, refused: the feed's state is unchanged.
        return undefined;
    }
  };
  return {
    apply: (s) => {
      const prev = board.get(s.feed);
      if (prev === undefined) return;
      const e = next(prev, s);
      if (e !== undefined) board.set(s.feed, e);
      if (s.type === 'failed') failedFeeds.add(s.feed);
      if (s.type === 'connected' || s.type === 'subscribed') failedFeeds.delete(s.feed);
    },
    entries: () => [...board.values()],
    down: () => [...board.values()].filter((e) => !READY_STATES.has(e.state)),
    failed: () => [...board.values()].filter((e) => failedFeeds.has(e.feed)),
    allFailed: () => board.size > 0 && failedFeeds.size === board.size,
  };
}
