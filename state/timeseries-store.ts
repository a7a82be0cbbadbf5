import type { Bar } from '../streams/messages/bar.js';
import type { FeatureVector } from '../streams/messages/feature-vector.js';
import type { Quote } from '../streams/messages/quote.js';
import type { Trade } from '../streams/messages/trade.js';
import type { AggregateRefresher } from './aggregate-refresh.js';

/** Rows for one insert round; every table's unique key includes time, so inserts are idempotent. */
export type TimeseriesBatch = Readonly<{
  trades?: readonly Trade[];
  quotes?: readonly Quote[];
  bars?: readonly Bar[];
  features?: readonly FeatureVector[];
}>;

/** How many rows of a batch were new (duplicates are ignored, not errors). */
export type InsertCounts = Readonly<{ trades: number; quotes: number; bars: number; features: number }>;

export type RangeQuery = Readonly<{ venue: string; symbol: string; from?: number; to?: number; limit?: number }>;

/** A range read a page at a time: `pageSize` rows at most per page (default {@link DEFAULT_PAGE_ROWS}). */
export type PagedQuery = Omit<RangeQuery, 'limit'> & Readonly<{ pageSize?: number }>;

/**
 * Rows per page of a paged read: one query result of this many bars is a few MB, however long the
 * range (years of 1m bars are millions of rows per symbol).
 */
export const DEFAULT_PAGE_ROWS = 10_000;

/** `pageSize` checked: a positive integer, else a RangeError. */
export function pageSizeOf(q: Readonly<{ pageSize?: number }>): number {
  const n = q.pageSize ?? DEFAULT_PAGE_ROWS;
  if (!(Number.isInteger(n) && n > 0)) throw new RangeError(`pageSize must be a positive integer, got ${n}`);
  return n;
}

export type TimeseriesWriter = {
  insert(batch: TimeseriesBatch): Promise<InsertCounts>;
};

export type TimeseriesReader = {
  /** Ascending by time; `from` inclusive, `to` exclusive. */
  bars(q: RangeQuery & Readonly<{ tf: string }>): Promise<readonly Bar[]>;
  /**
   * The rows {@link bars} returns for the same range, in the same order, a page of at most
   * `pageSize` at a time, each page read when the previous one has been taken (PostgreSQL: keyset
   * pagination on `ts`): a consumer that does not keep them holds one page, not the range.
   * Every page but the last is full; no page is empty.
   */
  barPages(q: PagedQuery & Readonly<{ tf: string }>): AsyncIterable<readonly Bar[]>;
  trades(q: RangeQuery): Promise<readonly Trade[]>;
  quotes(q: RangeQuery): Promise<readonly Quote[]>;
  features(q: RangeQuery): Promise<readonly FeatureVector[]>;
  /**
   * The newest `limit` vectors of the asset's bars of timeframe `tf` (a vector whose source is
   * `barId(venue, symbol, tf, ts)`: no tick vector, no bar of another timeframe), newest first.
   * Filtered where the rows are: a sequence model's window of 64 daily bars is 64 rows, not the
   * ~180,000 vectors of 1m bars and ticks stored over the same days.
   */
  barFeatures(q: Readonly<{ venue: string; symbol: string; tf: string; limit: number }>): Promise<readonly FeatureVector[]>;
  /** Total rows per table (for summaries and tests). */
  counts(): Promise<InsertCounts>;
  /**
   * Newest event time stored for an asset's table, for backfill start points; of `bars`, with
   * `tf`, of that timeframe's only (without it, of any: a store holds bars of several timeframes,
   * whose newest run apart).
   */
  lastTs(table: 'trades' | 'quotes' | 'bars' | 'features', venue: string, symbol: string): Promise<number | undefined>;
  lastTs(table: 'bars', venue: string, symbol: string, tf: string): Promise<number | undefined>;
};

export type TimeseriesStore = TimeseriesWriter &
  TimeseriesReader & {
    /** 'timescale' when the timescaledb extension is present (hypertables), else plain PostgreSQL. */
    readonly flavor: 'timescale' | 'postgres' | 'memory';
    /**
     * PostgreSQL only: refreshes the continuous aggregates over history written outside their
     * refresh policies' window (TimescaleDB; `[]` and no query on plain PostgreSQL).
     */
    refreshAggregates?: AggregateRefresher['refreshAggregates'];
    /** Deletes every row of this store's tables (demo resets); the schema stays. */
    clear(): Promise<void>;
    close(): Promise<void>;
  };
