import type { Bar } from '../streams/messages/bar.js';
import type { Trade } from '../streams/messages/trade.js';
import { AGGREGATED_BAR_TF } from './pg-timescale-aggregates.js';

/** Event time in epoch milliseconds, `from` inclusive, `to` exclusive. */
export type TimeRange = Readonly<{ from: number; to: number }>;

/** The event times written to the tables the continuous aggregates read (`bars`: its 1m bars). */
export type WrittenRanges = Readonly<{ bars?: TimeRange; trades?: TimeRange }>;

/** One aggregate refreshed, over its bucket-aligned range. */
export type RefreshedAggregate = Readonly<{ view: string; from: number; to: number }>;

/**
 * Refreshes the continuous aggregates over history written outside their refresh policies'
 * window (TimescaleDB only: the plain-PostgreSQL store refreshes nothing and answers `[]`).
 */
export type AggregateRefresher = Readonly<{
  refreshAggregates(written: WrittenRanges): Promise<readonly RefreshedAggregate[]>;
}>;

/** The smallest range holding both; either may be absent. */
export function unionRange(a: TimeRange | undefined, b: TimeRange | undefined): TimeRange | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return { from: Math.min(a.from, b.from), to: Math.max(a.to, b.to) };
}

/** `range` widened to whole buckets of `bucketMs` (buckets start at multiples of it from the epoch). */
export function alignOutward(range: TimeRange, bucketMs: number): TimeRange {
  return { from: Math.floor(range.from / bucketMs) * bucketMs, to: Math.ceil(range.to / bucketMs) * bucketMs };
}

/** The range of the times in `rows` before `before` (exclusive end: the last one plus 1 ms), or undefined if none is. */
function rangeBefore(rows: readonly Readonly<{ ts: number }>[], before: number): TimeRange | undefined {
  let from = Number.POSITIVE_INFINITY;
  let to = Number.NEGATIVE_INFINITY;
  for (const r of rows) {
    if (!(r.ts < before)) continue;
    if (r.ts < from) from = r.ts;
    if (r.ts + 1 > to) to = r.ts + 1;
  }
  return from <= to ? { from, to } : undefined;
}

/**
 * What of a written batch the aggregates read and their policies will not refresh: the 1m bars
 * older than `cutoff.bars`, the trades older than `cutoff.trades` (each: now minus the policy's
 * start offset plus one bucket, the oldest bucket a policy run refreshes whole). Empty when the
 * batch is recent history, as live data always is.
 */
export function staleRanges(batch: Readonly<{ bars?: readonly Bar[]; trades?: readonly Trade[] }>, cutoff: Readonly<{ bars: number; trades: number }>): WrittenRanges {
  const bars = rangeBefore((batch.bars ?? []).filter((b) => b.tf === AGGREGATED_BAR_TF), cutoff.bars);
  const trades = rangeBefore(batch.trades ?? [], cutoff.trades);
  return { ...(bars !== undefined ? { bars } : {}), ...(trades !== undefined ? { trades } : {}) };
}
