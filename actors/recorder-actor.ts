import type { Logger } from '../state/logger.js';
import type { EngineCounters } from '../state/counters.js';
import type { InsertCounts, TimeseriesBatch, TimeseriesWriter } from '../state/timeseries-store.js';
import type { Bar } from '../streams/messages/bar.js';
import type { FeatureVector } from '../streams/messages/feature-vector.js';
import type { Quote } from '../streams/messages/quote.js';
import type { Trade } from '../streams/messages/trade.js';

/**
 * The recorder persists history to the timeseries store with group commit: while one write is
 * in flight, batches from every asset actor accumulate and go out together in the next write.
 * `record` resolves only once its rows are durably written, so an actor acknowledges its input
 * only after its history is stored (inserts are idempotent, so a redelivered batch stores
 * nothing twice).
 */
export type Recorder = Readonly<{
  record(batch: TimeseriesBatch): Promise<void>;
  /** Waits for everything recorded so far to be written. */
  drain(): Promise<void>;
}>;

type Waiter = { resolve: () => void; reject: (e: unknown) => void };

type Pending = { trades: Trade[]; quotes: Quote[]; bars: Bar[]; features: FeatureVector[]; waiters: Waiter[] };

const emptyPending = (): Pending => ({ trades: [], quotes: [], bars: [], features: [], waiters: [] });

export type RecorderDeps = Readonly<{
  store: TimeseriesWriter;
  counters: EngineCounters;
  log: Logger;
  /** Told of every batch once the store has written it (the aggregates' refresh, actors/history-refresh.ts). */
  onWritten?: (batch: TimeseriesBatch) => void;
}>;

export function createRecorder(deps: RecorderDeps): Recorder {
  let pending = emptyPending();
  // `flushing` is set and cleared inside the loop itself: a store that throws synchronously makes
  // flushLoop() finish before its promise could be stored, so `inFlight` alone cannot say whether
  // a loop is running (it was left set, and every later record() waited forever).
  let flushing = false;
  let inFlight: Promise<void> | undefined;

  const addCounts = (c: InsertCounts): void => {
    const w = deps.counters.rowsWritten;
    w.trades += c.trades;
    w.quotes += c.quotes;
    w.bars += c.bars;
    w.features += c.features;
  };

  const flushLoop = async (): Promise<void> => {
    flushing = true;
    while (pending.waiters.length > 0) {
      const batch = pending;
      pending = emptyPending();
      try {
        addCounts(await deps.store.insert(batch));
        deps.onWritten?.(batch);
        for (const w of batch.waiters) w.resolve();
      } catch (e) {
        deps.log.error({ err: String(e) }, 'recorder write failed');
        for (const w of batch.waiters) w.reject(e);
      }
    }
    flushing = false;
  };

  const record = (batch: TimeseriesBatch): Promise<void> => {
    const p = new Promise<void>((resolve, reject) => pending.waiters.push({ resolve, reject }));
    if (batch.trades !== undefined) for (const r of batch.trades) pending.trades.push(r);
    if (batch.quotes !== undefined) for (const r of batch.quotes) pending.quotes.push(r);
    if (batch.bars !== undefined) for (const r of batch.bars) pending.bars.push(r);
    if (batch.features !== undefined) for (const r of batch.features) pending.features.push(r);
    if (!flushing) inFlight = flushLoop();
    return p;
  };

  return {
    record,
    drain: async () => {
      while (flushing) await inFlight;
    },
  };
}
