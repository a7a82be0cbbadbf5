import type { StoreFlavor } from './pg-timescale.js';

/**
 * A continuous aggregate of the Timescale path: OHLCV bars per venue and symbol, rolled up into
 * `bucket`-wide buckets from a hypertable, refreshed in the background by a policy over the window
 * from `startOffset` to `endOffset` before now, every `schedule`.
 */
export type ContinuousAggregate = Readonly<{
  view: string;
  /** The hypertable it reads (in the store's schema). */
  from: 'bars' | 'trades';
  bucket: string;
  /** `bucket` in milliseconds: refreshes by hand are aligned outward to it. */
  bucketMs: number;
  startOffset: string;
  /** `startOffset` in milliseconds: rows older than this before now are outside the policy's window. */
  startOffsetMs: number;
  endOffset: string;
  schedule: string;
}>;

/**
 * `bars_1h`: hourly bars from the stored 1m bars (`bars` where `tf = '1m'`), with a `bars` count
 * that says whether an hour is complete (60). `trade_bars_1m`: 1m bars from the stored trades, with
 * a `trades` count. The refresh windows (3 days, 1 day) must stay shorter than any retention of the
 * tables they read (`timescalePolicyStatements` enforces it through the config's minimum), or a
 * refresh would empty the buckets whose rows retention dropped.
 */
export const CONTINUOUS_AGGREGATES: readonly ContinuousAggregate[] = Object.freeze([
  { view: 'bars_1h', from: 'bars', bucket: '1 hour', bucketMs: 3_600_000, startOffset: '3 days', startOffsetMs: 3 * 86_400_000, endOffset: '1 hour', schedule: '30 minutes' },
  { view: 'trade_bars_1m', from: 'trades', bucket: '1 minute', bucketMs: 60_000, startOffset: '1 day', startOffsetMs: 86_400_000, endOffset: '1 minute', schedule: '5 minutes' },
]);

/** The timeframe of stored bars `bars_1h` reads; only these bars reach it. */
export const AGGREGATED_BAR_TF = '1m';

/** The select of one aggregate; TimescaleDB's functions through its schema, PostgreSQL's own (max, min, sum, count) found anywhere. */
function selectOf(a: ContinuousAggregate, schema: string, ext: string): string {
  const bucket = `${ext}.time_bucket(INTERVAL '${a.bucket}', ts)`;
  const ohlcv =
    a.from === 'bars'
      ? `${ext}.first(open, ts) AS open, max(high) AS high, min(low) AS low, ${ext}.last(close, ts) AS close, sum(volume) AS volume, count(*) AS bars`
      : `${ext}.first(price, ts) AS open, max(price) AS high, min(price) AS low, ${ext}.last(price, ts) AS close, sum(qty) AS volume, count(*) AS trades`;
  const where = a.from === 'bars' ? ` WHERE tf = '${AGGREGATED_BAR_TF}'` : '';
  return `SELECT venue, symbol, ${bucket} AS bucket, ${ohlcv} FROM ${schema}.${a.from}${where} GROUP BY venue, symbol, ${bucket}`;
}

/**
 * The statements that create the continuous aggregates and their refresh policies on TimescaleDB;
 * none on plain PostgreSQL. Idempotent (`IF NOT EXISTS`, `if_not_exists => TRUE`), so every start
 * may run them. Created `WITH NO DATA` so a start over a long history does not wait for the first
 * materialisation (the policy fills the window; `refresh_continuous_aggregate` fills older
 * buckets by hand), and real-time (`materialized_only = false`, no longer the default since
 * TimescaleDB 2.13) so a query also sees the buckets not materialised yet. Functions are called
 * by the extension's schema (`extensionSchema`, already quoted), as in `hypertableStatements`:
 * the migration session's `search_path` is the store's schema alone. Run after the hypertables.
 */
export function continuousAggregateStatements(flavor: StoreFlavor, schema: string, extensionSchema = 'public'): string[] {
  if (flavor !== 'timescale') return [];
  return CONTINUOUS_AGGREGATES.flatMap((a) => [
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${schema}.${a.view} WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS ${selectOf(a, schema, extensionSchema)} WITH NO DATA`,
    `SELECT ${extensionSchema}.add_continuous_aggregate_policy('${schema}.${a.view}', start_offset => INTERVAL '${a.startOffset}', end_offset => INTERVAL '${a.endOffset}', schedule_interval => INTERVAL '${a.schedule}', if_not_exists => TRUE)`,
  ]);
}
