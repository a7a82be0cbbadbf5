import type { Bar } from '../streams/messages/bar.js';
import type { FeatureVector } from '../streams/messages/feature-vector.js';
import type { Quote } from '../streams/messages/quote.js';
import type { Trade } from '../streams/messages/trade.js';

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

export type TimeseriesWriter = {
  insert(batch: TimeseriesBatch): Promise<InsertCounts>;
};

export type TimeseriesReader = {
  /** Ascending by time; `from` inclusive, `to` exclusive. */
  bars(q: RangeQuery & Readonly<{ tf: string }>): Promise<readonly Bar[]>;
  trades(q: RangeQuery): Promise<readonly Trade[]>;
  quotes(q: RangeQuery): Promise<readonly Quote[]>;
  features(q: RangeQuery): Promise<readonly FeatureVector[]>;
  /** Total rows per table (for summaries and tests). */
  counts(): Promise<InsertCounts>;
  /** Newest event time stored for an asset's table, for backfill start points. */
  lastTs(table: 'trades' | 'quotes' | 'bars' | 'features', venue: string, symbol: string): Promise<number | undefined>;
};

export type TimeseriesStore = TimeseriesWriter &
  TimeseriesReader & {
    /** 'timescale' when the timescaledb extension is present (hypertables), else plain PostgreSQL. */
    readonly flavor: 'timescale' | 'postgres' | 'memory';
    /** Deletes every row of this store's tables (demo resets); the schema stays. */
    clear(): Promise<void>;
    close(): Promise<void>;
  };
