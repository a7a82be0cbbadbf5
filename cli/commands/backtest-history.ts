import type { InsertCounts, TimeseriesBatch, TimeseriesStore } from '../../state/timeseries-store.js';

/**
 * The history store of a backtest: the recorder runs as live (batches, group commit), but the
 * rows are counted, not kept — nothing in a backtest reads them back (the report is built from
 * the bars it replayed and the decisions it observed), and keeping millions of ticks, bars and
 * feature vectors in maps only made the garbage collector walk them. Reads of rows refuse, so a
 * reader wired by mistake fails loudly instead of seeing an empty history, but for `barFeatures`:
 * it answers `[]`, what a backtest has stored when a sequence model's windows are primed at its
 * start. `counts` answers the rows counted.
 */
export function createCountingHistory(): TimeseriesStore {
  const counts = { trades: 0, quotes: 0, bars: 0, features: 0 };
  const noReads = (): Promise<never> => Promise.reject(new Error('a backtest keeps no history: its rows are counted, not stored'));
  return {
    flavor: 'memory',
    insert: async (b: TimeseriesBatch): Promise<InsertCounts> => {
      const n = { trades: b.trades?.length ?? 0, quotes: b.quotes?.length ?? 0, bars: b.bars?.length ?? 0, features: b.features?.length ?? 0 };
      counts.trades += n.trades;
      counts.quotes += n.quotes;
      counts.bars += n.bars;
      counts.features += n.features;
      return n;
    },
    bars: noReads,
    barPages: async function* () {
      yield await noReads();
    },
    trades: noReads,
    quotes: noReads,
    features: noReads,
    // Read once, when a sequence model's windows are primed at start (cli/window-history.ts): a
    // backtest starts with nothing stored, and its windows fill from the bars it replays.
    barFeatures: async () => [],
    counts: async () => ({ ...counts }),
    lastTs: noReads,
    clear: async () => {
      counts.trades = counts.quotes = counts.bars = counts.features = 0;
    },
    close: async () => {},
  };
}
