import { staleRanges, unionRange } from '../state/aggregate-refresh.js';
import type { AggregateRefresher, TimeRange, WrittenRanges } from '../state/aggregate-refresh.js';
import type { Clock, TimerHandle } from '../state/clock.js';
import type { Logger } from '../state/logger.js';
import { CONTINUOUS_AGGREGATES } from '../state/pg-timescale-aggregates.js';
import type { TimeseriesBatch } from '../state/timeseries-store.js';

/**
 * Refreshes TimescaleDB's continuous aggregates after history is written too old for their
 * refresh policies (a policy refreshes only its recent window): a `sextant replay` of old CSV
 * files, a long gateway backfill, a demo's window. Every such write reaches the store through the
 * recorder, batch by batch, and nothing marks where a replay or a backfill ends, so the written
 * range is gathered across batches and refreshed once, when no old history has been written for
 * `quietMs`, or at `flush()` (the engine's stop): once per bulk job, not per batch. Live data is
 * never old enough to be gathered, so a running engine refreshes nothing itself.
 */
export type HistoryRefresh = Readonly<{
  /** Notes a batch the store has written. */
  written(batch: TimeseriesBatch): void;
  /** Refreshes what has been gathered now, and waits for every refresh started. */
  flush(): Promise<void>;
}>;

export type HistoryRefreshDeps = Readonly<{
  refresher: AggregateRefresher;
  /** The wall clock: the policies' windows run on the database's time, not on event time. */
  clock: Clock;
  log: Logger;
  /** How long old-history writes must stop before the refresh (default 30 s). */
  quietMs?: number;
}>;

export const DEFAULT_REFRESH_QUIET_MS = 30_000;

const ISO = (ms: number): string => new Date(ms).toISOString();

/** The rows each aggregate's policy will not refresh: older than its start offset, less its oldest bucket. */
function cutoffs(now: number): Readonly<{ bars: number; trades: number }> {
  const cut = { bars: Number.POSITIVE_INFINITY, trades: Number.POSITIVE_INFINITY };
  for (const a of CONTINUOUS_AGGREGATES) cut[a.from] = Math.min(cut[a.from], now - a.startOffsetMs + a.bucketMs);
  return cut;
}

export function createHistoryRefresh(deps: HistoryRefreshDeps): HistoryRefresh {
  const quietMs = deps.quietMs ?? DEFAULT_REFRESH_QUIET_MS;
  let gathered: { bars?: TimeRange; trades?: TimeRange } = {};
  let timer: TimerHandle | undefined;
  let running: Promise<void> = Promise.resolve();

  const refresh = async (ranges: WrittenRanges): Promise<void> => {
    try {
      const done = await deps.refresher.refreshAggregates(ranges);
      for (const r of done) deps.log.info({ view: r.view, from: ISO(r.from), to: ISO(r.to) }, 'continuous aggregate refreshed over the history written');
    } catch (e) {
      // The rows are stored; only the aggregate lags. Said with the command that repairs it.
      const all = unionRange(ranges.bars, ranges.trades);
      const hint = all === undefined ? '' : ` (run: sextant db refresh-aggregates --from ${ISO(all.from)} --to ${ISO(all.to)})`;
      deps.log.error({ err: String(e) }, `continuous aggregate refresh failed${hint}`);
    }
  };

  const fire = (): void => {
    timer = undefined;
    const ranges = gathered;
    gathered = {};
    if (ranges.bars === undefined && ranges.trades === undefined) return;
    // One at a time: a refresh started while another runs would lock the same aggregate.
    running = running.then(() => refresh(ranges));
  };

  return {
    written: (batch) => {
      const stale = staleRanges(batch, cutoffs(deps.clock.now()));
      if (stale.bars === undefined && stale.trades === undefined) return;
      const bars = unionRange(gathered.bars, stale.bars);
      const trades = unionRange(gathered.trades, stale.trades);
      gathered = { ...(bars !== undefined ? { bars } : {}), ...(trades !== undefined ? { trades } : {}) };
      if (timer !== undefined) deps.clock.clearTimeout(timer);
      timer = deps.clock.setTimeout(fire, quietMs);
    },
    flush: async () => {
      if (timer !== undefined) deps.clock.clearTimeout(timer);
      fire();
      await running;
    },
  };
}
